#!/usr/bin/env bash
# Build cost of the generator: clean builds of one consumer project with N records (8 properties, one index each,
# the BuildCostTests model), with the generator and without it (the plain build), alternating, RUNS times each.
# Usage: tests/TypedSkv.Generators.Tests/BuildCost/measure.sh [RECORDS=200] [RUNS=5]   (KEEP=1 keeps the consumer)
# Prints each run's wall time and CPU time (user + sys of the build and its compiler) and the medians. The consumer
# references the Release builds of src/TypedSkv and the generator directly, so only the consumer compiles in the timed
# builds. The environment decides whether the compiler server is used (UseSharedCompilation; on the project's CI VM it
# is off, so every build starts a fresh compiler); the script prints which. CPU time is the steadier number on a
# machine shared with other builds.
set -euo pipefail
records=${1:-200}
runs=${2:-5}
repo=$(cd "$(dirname "$0")/../../.." && pwd)
work=$(mktemp -d /tmp/skv-buildcost.XXXXXX)
[ -n "${KEEP:-}" ] && echo "consumer kept in $work" || trap 'rm -rf "$work"' EXIT

dotnet build "$repo/src/TypedSkv/TypedSkv.csproj" -c Release -v q -nologo >/dev/null
runtime="$repo/src/TypedSkv/bin/Release/net10.0/TypedSkv.dll"
generator="$repo/generators/TypedSkv.Generators/bin/Release/netstandard2.0/TypedSkv.Generators.dll"

cat >"$work/Consumer.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
    <Generator Condition="'\$(Generator)' == ''">true</Generator>
  </PropertyGroup>
  <ItemGroup>
    <Reference Include="TypedSkv" HintPath="$runtime" />
    <Analyzer Include="$generator" Condition="'\$(Generator)' == 'true'" />
  </ItemGroup>
</Project>
XML
{
  echo "using System;"
  echo "using TypedSkv;"
  echo "namespace Bench;"
  for ((i = 0; i < records; i++)); do
    echo "[SkvRecord(\"r$i\")] public sealed record R$i([property: SkvKey] int Id, string Name, int Age, long Total, bool Active, DateTime When, decimal Price, [property: SkvIndex] string Code);"
  done
  echo -n "[SkvDatabase("
  for ((i = 0; i < records; i++)); do echo -n "typeof(R$i)"; ((i < records - 1)) && echo -n ", "; done
  echo ")] public sealed partial class BenchDb;"
  echo "public static class Program { public static void Main() => Console.WriteLine(typeof(BenchDb).Name); }"
} >"$work/Model.cs"

cd "$work"
dotnet restore -v q -nologo >/dev/null
build() { # $1 = true|false; prints "wall cpu" in seconds
  /usr/bin/time -f "%e %U %S" -o "$work/time" dotnet build -c Release --no-restore --no-incremental -nologo -v q -p:Generator="$1" >/dev/null
  awk '{printf "%.2f %.2f\n", $1, $2 + $3}' "$work/time"
}
build true >/dev/null; build false >/dev/null # warm the disk cache
ww=(); wc=(); pw=(); pc=()
for ((r = 1; r <= runs; r++)); do
  read -r a b < <(build true); read -r c d < <(build false)
  ww+=("$a"); wc+=("$b"); pw+=("$c"); pc+=("$d")
  echo "run $r: generator ${a}s wall ${b}s cpu, plain ${c}s wall ${d}s cpu (load $(cut -d' ' -f1 /proc/loadavg))"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
m1=$(median "${ww[@]}"); m2=$(median "${wc[@]}"); m3=$(median "${pw[@]}"); m4=$(median "${pc[@]}")
echo "records=$records runs=$runs cores=$(nproc) UseSharedCompilation=${UseSharedCompilation:-unset}"
echo "median wall: generator ${m1}s, plain ${m3}s, ratio $(echo "scale=2; $m1 / $m3" | bc)"
echo "median cpu:  generator ${m2}s, plain ${m4}s, ratio $(echo "scale=2; $m2 / $m4" | bc)"
