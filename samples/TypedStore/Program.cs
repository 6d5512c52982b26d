using TypedSkv;
using TypedStore;

// A typed store: CRUD, index lookups, range scans and an all-or-nothing transaction.
string path = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "typedstore-sample.skv");
File.Delete(path);

using var db = ShopDb.Open(path);

// --- CRUD
db.Customers.Insert(new Customer(1, "Ann", "ann@example.com", "NO"));
db.Customers.Insert(new Customer(2, "Bob", "bob@example.com", "IT"));
db.Customers.Put(new Customer(3, "Cid", "cid@example.com", "NO"));
db.Customers.Update(new Customer(2, "Bob", "bob@example.org", "IT"));     // the Email index follows the change
Console.WriteLine($"customer 2: {db.Customers.Get(2)}");
Console.WriteLine($"has customer 4: {db.Customers.Contains(4)}");

// --- index lookups
Console.WriteLine($"by email: {db.Customers.ByEmail.Get("bob@example.org")?.Name}");
Console.WriteLine($"old email: {db.Customers.ByEmail.Get("bob@example.com")?.Name ?? "(none)"}");
Console.WriteLine($"in NO: {string.Join(", ", db.Customers.ByCountry.Find("NO").Select(c => c.Name))}");
try
{
    db.Customers.Put(new Customer(4, "Dee", "ann@example.com", "SE"));
}
catch (SkvUniqueIndexException e)
{
    Console.WriteLine($"rejected: {e.Message}");
}

// --- transaction: an order and the customer's new status, together or not at all
var placed = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
using (var tx = db.BeginTransaction())
{
    for (long n = 1; n <= 3; n++)
    {
        db.Orders.Insert(tx, new Order(1, n, placed.AddDays(n), OrderStatus.Open, [new OrderLine("pen", (int)n, 1.5m)]));
    }
    db.Orders.Insert(tx, new Order(3, 1, placed, OrderStatus.Paid, [new OrderLine("mug", 2, 7m)]));
    tx.Commit();
}
using (var tx = db.BeginTransaction())
{
    db.Orders.Insert(tx, new Order(2, 1, placed, OrderStatus.Open, []));
    // no Commit: disposed, rolled back
}
Console.WriteLine($"orders: {db.Orders.Count()} (customer 2 has {db.Orders.WithCustomerId(2).Count()})");

// --- range scans in key order
Console.WriteLine("customer 1's orders:");
foreach (var order in db.Orders.WithCustomerId(1))
{
    Console.WriteLine($"  #{order.Number} {order.Status} {order.Total}");
}
Console.WriteLine($"customers 2..3: {string.Join(", ", db.Customers.Range(2, 4).Select(c => c.Name))}");
Console.WriteLine($"orders (1,2)..(3,0): {string.Join(", ", db.Orders.Range((1, 2), (3, 0)).Select(o => $"{o.CustomerId}/{o.Number}"))}");

// --- delete, and what is stored (readable keys and JSON values)
db.Customers.Delete(3);
foreach (var entry in db.Store.ScanPrefix("customers"))
{
    Console.WriteLine($"{entry.KeyString} = {entry.GetValueString()}");
}
return 0;
