namespace TypedSkv.Typed.Tests;

/// <summary>The batch and async suite over the embedded store (Durability.Fsync, so the async commits wait for a real sync).</summary>
public sealed class EmbeddedBatchAndAsyncTests : BatchAndAsyncSuite, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "skv-batch-" + Guid.NewGuid().ToString("N"));
    private int _generation;

    protected override TestDb Open()
    {
        Directory.CreateDirectory(_dir);
        return TestDb.Open(Path.Combine(_dir, $"db{++_generation}.skv"));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
