using System.Runtime.InteropServices;
using TypedSkv.Reliability;
using TypedSkv.Tests;

// dotnet run -c Release --project tests/TypedSkv.Reliability -- [--full] : runs every case and prints the table.
// (dotnet test runs the quick profile through ReliabilityTests.)
var profile = args.Contains("--full") ? Profile.Full : Profile.Quick;
var results = new List<CaseResult>();
var started = DateTime.UtcNow;
foreach (var run in Cases.All)
{
    using var dir = new TempDir();
    var r = run(profile, dir.Path);
    results.Add(r);
    Console.Error.WriteLine($"{r.Case}: {(r.Passed ? "ok" : "FAILED: " + r.FirstFailure)}");
}
Console.WriteLine($"profile: {profile.Name}, seed {profile.Seed}, {DateTime.UtcNow - started:mm\\:ss} total");
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {DateTime.UtcNow:yyyy-MM-dd}");
Console.WriteLine();
Console.WriteLine("| case | iterations | lost writes | wrong values | unexpected errors | notes |");
Console.WriteLine("|---|---:|---:|---:|---:|---|");
foreach (var r in results)
    Console.WriteLine($"| {r.Case} | {r.Iterations:N0} | {r.LostWrites} | {r.WrongValues} | {r.UnexpectedErrors} | {r.Notes} |");
return results.All(r => r.Passed) ? 0 : 1;
