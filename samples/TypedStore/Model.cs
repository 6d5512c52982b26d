using TypedSkv;

namespace TypedStore;

public enum OrderStatus { Open, Paid, Shipped }

/// <summary>A customer: int key, unique index on Email, non-unique index on Country.</summary>
[SkvRecord("customers")]
public sealed record Customer(
    [property: SkvKey] int Id,
    string Name,
    [property: SkvIndex(Unique = true)] string Email,
    [property: SkvIndex] string Country);

public sealed record OrderLine(string Sku, int Quantity, decimal UnitPrice);

/// <summary>An order: composite key (customer, order number), so a customer's orders are contiguous.</summary>
[SkvRecord("orders")]
public sealed record Order(
    [property: SkvKey(Order = 0)] int CustomerId,
    [property: SkvKey(Order = 1)] long Number,
    DateTimeOffset PlacedAt,
    OrderStatus Status,
    List<OrderLine> Lines)
{
    public decimal Total => Lines.Sum(l => l.Quantity * l.UnitPrice);
}

[SkvDatabase(typeof(Customer), typeof(Order))]
public sealed partial class ShopDb;
