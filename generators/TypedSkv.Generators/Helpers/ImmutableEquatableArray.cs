using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace TypedSkv.Generators.Helpers
{
    /// <summary>An immutable list with element-wise equality, so pipeline models compare by value.</summary>
    internal sealed class ImmutableEquatableArray<T> : IEquatable<ImmutableEquatableArray<T>>, IReadOnlyList<T>
        where T : IEquatable<T>
    {
        public static ImmutableEquatableArray<T> Empty { get; } = new ImmutableEquatableArray<T>(Array.Empty<T>());

        private readonly T[] _values;

        public ImmutableEquatableArray(IEnumerable<T> values) => _values = values.ToArray();

        public T this[int index] => _values[index];

        public int Count => _values.Length;

        public bool Equals(ImmutableEquatableArray<T>? other)
        {
            if (ReferenceEquals(this, other)) return true;
            if (other is null || other._values.Length != _values.Length) return false;
            for (int i = 0; i < _values.Length; i++)
            {
                if (!EqualityComparer<T>.Default.Equals(_values[i], other._values[i])) return false;
            }
            return true;
        }

        public override bool Equals(object? obj) => obj is ImmutableEquatableArray<T> other && Equals(other);

        public override int GetHashCode()
        {
            int hash = 17;
            foreach (T value in _values) hash = unchecked(hash * 31 + (value is null ? 0 : value.GetHashCode()));
            return hash;
        }

        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_values).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => _values.GetEnumerator();
    }

    internal static class ImmutableEquatableArray
    {
        public static ImmutableEquatableArray<T> ToImmutableEquatableArray<T>(this IEnumerable<T> values)
            where T : IEquatable<T> => new ImmutableEquatableArray<T>(values);
    }
}
