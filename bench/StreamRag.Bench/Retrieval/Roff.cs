using System.Text;

namespace StreamRag.Bench.Retrieval;

/// <summary>
/// Turns a manual page's roff source (man(7) macros, as written by hand, by pod2man and by DocBook)
/// into plain text with its section headings, well enough to search: text macros keep their
/// words, layout requests, macro definitions, conditionals and comments go, escapes become the
/// characters they stand for. Not a typesetter: no groff needed, and ~3,400 pages take a second.
/// </summary>
internal static class Roff
{
    // Macros whose arguments are text: fonts (alternating ones join their arguments without spaces),
    // headings, list tags, and Tcl's argument and quoting macros.
    private static readonly HashSet<string> Joined = ["BR", "BI", "IB", "RB", "RI", "IR"];
    private static readonly HashSet<string> Spaced = ["B", "I", "SM", "SB", "SS", "IP", "TQ", "Ip", "Sh", "AP", "QW", "PQ", "OP"];

    private static readonly Dictionary<string, string> Glyphs = new(StringComparer.Ordinal)
    {
        ["aq"] = "'", ["dq"] = "\"", ["lq"] = "\"", ["rq"] = "\"", ["oq"] = "'", ["cq"] = "'", ["em"] = " - ", ["en"] = "-",
        ["hy"] = "-", ["mi"] = "-", ["ti"] = "~", ["ha"] = "^", ["rs"] = "\\", ["ga"] = "`", ["bu"] = " ", ["co"] = "(C)",
        ["rg"] = "(R)", ["tm"] = "(TM)", ["mu"] = "x", ["<="] = "<=", [">="] = ">=", ["->"] = "->", ["<-"] = "<-", ["lB"] = "[",
        ["rB"] = "]", ["lC"] = "{", ["rC"] = "}", ["ba"] = "|", ["or"] = "|", ["at"] = "@", ["sh"] = "#", ["Do"] = "$", ["sl"] = "/",
        ["L\""] = "\"", ["R\""] = "\"", ["C`"] = "\"", ["C'"] = "\"", ["Aq"] = "'", ["Bq"] = "\"",
    };

    /// <summary>A page as (heading, text) sections in order; text before the first heading has an empty heading.</summary>
    public static IReadOnlyList<(string Heading, string Text)> Sections(string source)
    {
        var sections = new List<(string, string)>();
        var heading = "";
        var text = new StringBuilder();
        var skipUntilDots = false;
        var braceDepth = 0;
        var tableFormat = false;
        foreach (var raw in source.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (skipUntilDots)
            {
                skipUntilDots = line.TrimEnd() != "..";
                continue;
            }

            if (braceDepth > 0)
            {
                braceDepth += Count(line, "\\{") - Count(line, "\\}");
                continue;
            }

            if (tableFormat)
            {
                // tbl: option and format lines run up to the first line ending in a period.
                tableFormat = !line.TrimEnd().EndsWith('.');
                continue;
            }

            if (line.Length == 0 || (line[0] != '.' && line[0] != '\''))
            {
                AppendText(text, Text(line.Replace("T{", "", StringComparison.Ordinal).Replace("T}", "", StringComparison.Ordinal).Replace('\t', ' ')));
                continue;
            }

            var (name, args) = Request(line);
            switch (name)
            {
                case "" or "\\\"":
                    break;
                case "de" or "de1" or "am" or "ig":
                    skipUntilDots = true;
                    break;
                case "if" or "ie" or "el" or "while":
                    braceDepth = Math.Max(0, Count(line, "\\{") - Count(line, "\\}"));
                    break;
                case "TS":
                    tableFormat = true;
                    break;
                case "SH":
                    sections.Add((heading, text.ToString().Trim()));
                    heading = Text(string.Join(' ', Arguments(args))).Trim();
                    text.Clear();
                    break;
                case "TP" or "PP" or "P" or "LP" or "sp" or "br" or "Sp" or "RS" or "RE" or "nf" or "fi":
                    AppendLineBreak(text);
                    break;
                default:
                    if (Joined.Contains(name))
                    {
                        AppendText(text, Text(string.Concat(Arguments(args))));
                    }
                    else if (Spaced.Contains(name))
                    {
                        AppendText(text, Text(string.Join(' ', Arguments(args))));
                    }

                    break;
            }
        }

        sections.Add((heading, text.ToString().Trim()));
        return sections.Where(s => s.Item1.Length > 0 || s.Item2.Length > 0).ToArray();
    }

    /// <summary>One line of text with its escapes resolved.</summary>
    public static string Text(string line)
    {
        var output = new StringBuilder(line.Length);
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c != '\\' || i + 1 >= line.Length)
            {
                output.Append(c);
                continue;
            }

            var e = line[++i];
            switch (e)
            {
                case '"' or '#':
                    return output.ToString();
                case '-' or '.' or '\'' or '`':
                    output.Append(e);
                    break;
                case 'e' or '\\':
                    output.Append('\\');
                    break;
                case ' ' or '~' or '0':
                    output.Append(' ');
                    break;
                case '(':
                    output.Append(Glyph(Take(line, ref i, 2)));
                    break;
                case '[':
                    output.Append(Glyph(Bracketed(line, ref i)));
                    break;
                case '*':
                    output.Append(Glyph(Name(line, ref i)));
                    break;
                case 'f' or 'n' or 'F' or 'g' or 'k' or 'm' or 'M' or 'Y' or 'V' or '$':
                    Name(line, ref i);
                    break;
                case 's':
                    // \s-1, \s+2, \s0, \s(12, \s[12]
                    while (i + 1 < line.Length && (char.IsDigit(line[i + 1]) || line[i + 1] is '+' or '-' or '(' or '[' or ']'))
                    {
                        i++;
                    }

                    break;
                case 'h' or 'v' or 'w' or 'o' or 'l' or 'L' or 'D' or 'X' or 'Z' or 'b' or 'x' or 'N' or 'R' or 'A' or 'B' or 'C':
                    Delimited(line, ref i);
                    break;
                case '&' or '|' or '^' or 'c' or ':' or '%' or ',' or '/' or '{' or '}' or 'p' or 'r' or 'u' or 'd' or 'a' or 't' or 'z':
                    break;
                default:
                    output.Append(e);
                    break;
            }
        }

        return output.ToString();
    }

    private static (string Name, string Args) Request(string line)
    {
        var body = line[1..].TrimStart();
        if (body.StartsWith("\\\"", StringComparison.Ordinal))
        {
            return ("\\\"", "");
        }

        var end = 0;
        while (end < body.Length && !char.IsWhiteSpace(body[end]) && !(end > 0 && body[end] == '\\'))
        {
            end++;
        }

        return (body[..end], body[end..].Trim());
    }

    /// <summary>Macro arguments: separated by spaces, a double-quoted argument may hold spaces ("" is a quote).</summary>
    private static List<string> Arguments(string args)
    {
        var result = new List<string>();
        var i = 0;
        while (i < args.Length)
        {
            while (i < args.Length && args[i] == ' ')
            {
                i++;
            }

            if (i >= args.Length || args[i..].StartsWith("\\\"", StringComparison.Ordinal))
            {
                break;
            }

            var current = new StringBuilder();
            if (args[i] == '"')
            {
                for (i++; i < args.Length; i++)
                {
                    if (args[i] == '"' && i + 1 < args.Length && args[i + 1] == '"')
                    {
                        current.Append('"');
                        i++;
                    }
                    else if (args[i] == '"')
                    {
                        i++;
                        break;
                    }
                    else
                    {
                        current.Append(args[i]);
                    }
                }
            }
            else
            {
                for (; i < args.Length && args[i] != ' '; i++)
                {
                    current.Append(args[i]);
                }
            }

            result.Add(current.ToString());
        }

        return result;
    }

    private static void AppendText(StringBuilder text, string line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            AppendLineBreak(text);
            return;
        }

        if (text.Length > 0 && text[^1] != '\n')
        {
            text.Append('\n');
        }

        text.Append(line.Trim());
    }

    private static void AppendLineBreak(StringBuilder text)
    {
        if (text.Length > 0 && !(text.Length >= 2 && text[^1] == '\n' && text[^2] == '\n'))
        {
            text.Append(text[^1] == '\n' ? "\n" : "\n\n");
        }
    }

    private static string Glyph(string name) =>
        Glyphs.TryGetValue(name, out var glyph) ? glyph
        : name.StartsWith('u') && name.Length == 5 && int.TryParse(name.AsSpan(1), System.Globalization.NumberStyles.HexNumber, null, out var code) ? char.ConvertFromUtf32(code)
        : "";

    /// <summary>The name after \*, \f, \n…: one character, (xx, or [name].</summary>
    private static string Name(string line, ref int i)
    {
        if (i + 1 >= line.Length)
        {
            return "";
        }

        var c = line[++i];
        return c switch
        {
            '(' => Take(line, ref i, 2),
            '[' => Bracketed(line, ref i),
            _ => c.ToString(),
        };
    }

    private static string Take(string line, ref int i, int count)
    {
        var start = i + 1;
        var length = Math.Min(count, line.Length - start);
        i += length;
        return line.Substring(start, length);
    }

    private static string Bracketed(string line, ref int i)
    {
        var close = line.IndexOf(']', i + 1);
        if (close < 0)
        {
            close = line.Length - 1;
        }

        var name = line[(i + 1)..close];
        i = close;
        return name;
    }

    /// <summary>Skips an escape's delimited argument, as in \h'2n' or \X'tty: link'.</summary>
    private static void Delimited(string line, ref int i)
    {
        if (i + 1 >= line.Length)
        {
            return;
        }

        var delimiter = line[++i];
        var close = line.IndexOf(delimiter, i + 1);
        i = close < 0 ? line.Length - 1 : close;
    }

    private static int Count(string line, string what)
    {
        var count = 0;
        for (var at = line.IndexOf(what, StringComparison.Ordinal); at >= 0; at = line.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
