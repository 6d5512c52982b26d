namespace TypedSkv.Typed.Tests;

/// <summary>A store file in a fresh temp directory, deleted with the directory on dispose.</summary>
public sealed class TempStore : IDisposable
{
    public TempStore()
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "skv-typed-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Path = System.IO.Path.Combine(Directory, "test.skv");
    }

    public string Directory { get; }
    public string Path { get; }

    public TestDb Open() => TestDb.Open(Path, new SkvOptions { Durability = SkvDurability.None });

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
