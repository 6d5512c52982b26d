using System;
using System.Text;
using Microsoft.CodeAnalysis.Text;

namespace TypedSkv.Generators.Helpers
{
    /// <summary>A small indented text writer for emitting C#.</summary>
    internal sealed class SourceWriter
    {
        private const int IndentSize = 4;
        private readonly StringBuilder _sb = new StringBuilder();
        private int _indent;

        public int Indentation
        {
            get => _indent;
            set => _indent = value < 0 ? throw new ArgumentOutOfRangeException(nameof(value)) : value;
        }

        public void WriteLine(string text)
        {
            if (text.Length == 0)
            {
                _sb.Append('\n');
                return;
            }
            foreach (string line in text.Split('\n'))
            {
                if (line.Length > 0) _sb.Append(' ', _indent * IndentSize).Append(line.TrimEnd('\r'));
                _sb.Append('\n');
            }
        }

        public void WriteLine() => _sb.Append('\n');

        /// <summary>Writes <paramref name="header"/>, then "{" and indents.</summary>
        public void OpenBlock(string header)
        {
            WriteLine(header);
            WriteLine("{");
            _indent++;
        }

        public void CloseBlock(string suffix = "")
        {
            _indent--;
            WriteLine("}" + suffix);
        }

        public SourceText ToSourceText() => SourceText.From(_sb.ToString(), Encoding.UTF8);

        public override string ToString() => _sb.ToString();
    }
}
