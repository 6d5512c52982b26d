namespace TypedSkv.Typed.Tests;

/// <summary>The typed-accessor suite over the embedded store.</summary>
public sealed class EmbeddedTypedAccessorTests : TypedAccessorSuite, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "skv-suite-" + Guid.NewGuid().ToString("N"));
    private int _generation;

    protected override TestDb Open(bool fresh = true)
    {
        Directory.CreateDirectory(_dir);
        if (fresh) _generation++;
        return TestDb.Open(Path.Combine(_dir, $"db{_generation}.skv"), new SkvOptions { Durability = SkvDurability.None });
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
