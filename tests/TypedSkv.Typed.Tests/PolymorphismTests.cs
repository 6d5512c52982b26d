using System.Text;
using TypedSkv.Typed.Tests.Polymorphism;

namespace TypedSkv.Typed.Tests.Polymorphism
{
    [SkvDerivedType(typeof(Circle), "circle")]
    [SkvDerivedType(typeof(Square), "square")]
    [SkvDerivedType(typeof(FramedSquare), "framed")]
    public abstract class Shape
    {
        public string Label { get; set; } = "";
    }

    public sealed class Circle : Shape
    {
        public double Radius { get; set; }
    }

    public class Square : Shape
    {
        public double Side { get; set; }
    }

    public sealed class FramedSquare : Square
    {
        public int Frame { get; set; }
    }

    /// <summary>Derives from a listed type but is not listed itself.</summary>
    public sealed class DottedSquare : Square
    {
        public int Dots { get; set; }
    }

    [SkvDerivedType(typeof(Manager), "manager")]
    public class Person
    {
        public string Name { get; set; } = "";
    }

    public sealed class Manager : Person
    {
        public List<string> Reports { get; set; } = [];
    }

    [SkvRecord("drawings")]
    public sealed record Drawing([property: SkvKey] int Id, Shape Main, List<Shape> Shapes, Person? Owner);

    [SkvDerivedType(typeof(Dog), "dog")]
    [SkvRecord("animals")]
    public record Animal([property: SkvKey] int Id, [property: SkvIndex] string Name);

    public sealed record Dog(int Id, string Name, bool Good) : Animal(Id, Name);

    [SkvDerivedType(typeof(Car), "car")]
    [SkvDerivedType(typeof(Bike), "bike")]
    [SkvRecord("vehicles")]
    public abstract record Vehicle([property: SkvKey] int Id);

    public sealed record Car(int Id, int Seats) : Vehicle(Id);

    public sealed record Bike(int Id, bool Electric) : Vehicle(Id);

    [SkvDatabase(typeof(Drawing), typeof(Animal), typeof(Vehicle))]
    public sealed partial class ShapesDb;
}

namespace TypedSkv.Typed.Tests
{
    /// <summary>[SkvDerivedType]: derived instances keep their type across a write and a read.</summary>
    public sealed class PolymorphismTests : IDisposable
    {
        private readonly TempStore _temp = new();
        private readonly SkvStore _store;
        private readonly ShapesDb _db;

        public PolymorphismTests()
        {
            _store = SkvStore.Open(_temp.Path, new SkvOptions { Durability = SkvDurability.None });
            _db = new ShapesDb(_store);
        }

        public void Dispose()
        {
            _store.Dispose();
            _temp.Dispose();
        }

        private string StoredJson(int id) => Encoding.UTF8.GetString(_store.Get(_db.Drawings.EncodeKey(id))!);

        [Fact]
        public void Derived_instances_in_base_typed_properties_and_lists_are_read_back_as_their_types()
        {
            var drawing = new Drawing(1, new Circle { Label = "sun", Radius = 2.5 },
                [new Square { Label = "a", Side = 3 }, new FramedSquare { Label = "b", Side = 4, Frame = 1 }, new Circle { Radius = 1 }],
                new Manager { Name = "Ann", Reports = ["Bob"] });
            _db.Drawings.Put(drawing);

            Drawing back = _db.Drawings.Get(1)!;
            var main = Assert.IsType<Circle>(back.Main);
            Assert.Equal(("sun", 2.5), (main.Label, main.Radius));
            Assert.IsType<Square>(back.Shapes[0]);
            Assert.Equal(3, ((Square)back.Shapes[0]).Side);
            var framed = Assert.IsType<FramedSquare>(back.Shapes[1]); // the closest listed type, not its base Square
            Assert.Equal((4.0, 1), (framed.Side, framed.Frame));
            Assert.IsType<Circle>(back.Shapes[2]);
            var owner = Assert.IsType<Manager>(back.Owner);
            Assert.Equal(["Bob"], owner.Reports);

            string json = StoredJson(1);
            Assert.Contains("\"main\":{\"$type\":\"circle\",", json);
            Assert.Contains("{\"$type\":\"framed\",", json);
            Assert.Contains("\"owner\":{\"$type\":\"manager\",", json);
        }

        [Fact]
        public void An_instance_of_a_non_abstract_base_is_stored_without_a_discriminator()
        {
            _db.Drawings.Put(new Drawing(2, new Circle(), [], new Person { Name = "Cy" }));
            Assert.Contains("\"owner\":{\"name\":\"Cy\"}", StoredJson(2));
            var owner = _db.Drawings.Get(2)!.Owner;
            Assert.Equal(typeof(Person), owner!.GetType());
            Assert.Equal("Cy", owner.Name);
        }

        [Fact]
        public void A_derived_type_that_is_not_listed_is_refused_and_nothing_is_written()
        {
            var e = Assert.ThrowsAny<SkvException>(() => _db.Drawings.Put(new Drawing(3, new DottedSquare { Dots = 5 }, [], null)));
            Assert.Contains("DottedSquare", e.Message);
            Assert.Contains("Square", e.Message);
            Assert.Null(_db.Drawings.Get(3));
            Assert.Equal(0, _db.Drawings.Count());
        }

        [Fact]
        public void An_unknown_discriminator_throws_naming_collection_key_property_and_discriminator()
        {
            _store.Put(_db.Drawings.EncodeKey(4), Encoding.UTF8.GetBytes(
                """{"id":4,"main":{"$type":"triangle","label":"t"},"shapes":[],"owner":null}"""));
            var e = Assert.Throws<SkvUnknownDerivedTypeException>(() => _db.Drawings.Get(4));
            Assert.Equal("drawings", e.Collection);
            Assert.Equal("main", e.Property);
            Assert.Equal("triangle", e.Discriminator);
            Assert.Equal(typeof(Shape), e.DeclaredType);
            Assert.Contains("0000000004", e.Key);
            Assert.Contains("triangle", e.Message);
            Assert.IsAssignableFrom<SkvRecordFormatException>(e); // All(onUnreadable) and FindUnreadable() list it too
            Assert.Single(_db.Drawings.FindUnreadable());
        }

        [Fact]
        public void An_abstract_base_without_a_discriminator_is_unreadable_not_guessed()
        {
            _store.Put(_db.Drawings.EncodeKey(5), Encoding.UTF8.GetBytes("""{"id":5,"main":{"label":"t"},"shapes":[]}"""));
            var e = Assert.Throws<SkvRecordFormatException>(() => _db.Drawings.Get(5));
            Assert.Equal("main", e.Property);
            Assert.Contains("abstract", e.Message);
        }

        [Fact]
        public void A_record_type_with_derived_types_stores_them_in_one_collection_with_its_indexes()
        {
            _db.Animals.Put(new Animal(1, "Generic"));
            _db.Animals.Put(new Dog(2, "Rex", Good: true));
            Assert.Equal(new Dog(2, "Rex", true), _db.Animals.Get(2));
            Assert.Equal(typeof(Animal), _db.Animals.Get(1)!.GetType());
            Assert.IsType<Dog>(Assert.Single(_db.Animals.ByName.Find("Rex")));
            Assert.Equal(2, _db.Animals.Count());
            Assert.Empty(_db.Animals.FindUnknownProperties()); // a derived type's own properties ("good") are known
        }

        [Fact]
        public void An_abstract_record_type_holds_only_its_listed_derived_types()
        {
            _db.Vehicles.Put(new Car(1, Seats: 4));
            _db.Vehicles.Put(new Bike(2, Electric: true));
            Assert.Equal(new Car(1, 4), _db.Vehicles.Get(1));
            Assert.Equal(new Bike(2, true), _db.Vehicles.Get(2));
            Assert.Equal([1, 2], _db.Vehicles.All().Select(v => v.Id));
            Assert.Empty(_db.Vehicles.FindUnknownProperties());
        }
    }
}
