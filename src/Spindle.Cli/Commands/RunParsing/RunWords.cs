using Spindle.Jobs;

namespace Spindle.Cli.Commands.RunParsing;

/// <summary>
/// The words of <c>spindle run</c> split as GNU parallel reads them: options, then the command (whose words may look
/// like options), then the sources after <c>:::</c>, <c>:::+</c>, <c>::::</c> and <c>::::+</c>.
/// </summary>
/// <remarks>
/// The options come out as tokens a plain option parser reads: Getopt's bundled short options (<c>-kj4</c>) are
/// taken apart, <c>--name=value</c> is two tokens, and -l's optional value is made explicit.
/// </remarks>
internal sealed class RunWords
{
    private static readonly string[] Separators = [":::", ":::+", "::::", "::::+"];

    private readonly string[] _args;
    private int _at;

    private RunWords(string[] args) => _args = args;

    /// <summary>The option parser, or null when there are no options.</summary>
    /// <remarks>
    /// Built only when there are options: a bare <c>spindle run cmd ::: ...</c> then never loads System.CommandLine,
    /// which is a fifth of a trivial run's start-up.
    /// </remarks>
    public RunOptionSpec? Spec { get; private set; }

    /// <summary>The options, as tokens for <see cref="Spec"/>'s parser.</summary>
    public List<string> OptionTokens { get; } = [];

    /// <summary>The command's words.</summary>
    public List<string> Command { get; } = [];

    /// <summary>The sources, in the order given.</summary>
    public List<JobInputSource> Sources { get; } = [];

    /// <summary>Whether <paramref name="word"/> starts a source (<c>:::</c>, <c>:::+</c>, <c>::::</c>, <c>::::+</c>).</summary>
    public static bool IsSeparator(string word) => Array.IndexOf(Separators, word) >= 0;

    /// <summary>Splits the words; returns null with a one-line <paramref name="error"/> when they are not valid.</summary>
    public static RunWords? Split(string[] args, out string error)
    {
        var words = new RunWords(args);
        if (!words.TryReadOptions(out error))
        {
            return null;
        }

        words.ReadCommand();
        return words.TryReadSources(out error) ? words : null;
    }

    // The options: every word up to "--", a separator, "-" or the first word that is not an option.
    private bool TryReadOptions(out string error)
    {
        error = "";
        for (; _at < _args.Length; _at++)
        {
            var arg = _args[_at];
            if (arg == "--")
            {
                _at++;
                return true;
            }

            if (IsSeparator(arg) || !arg.StartsWith('-') || arg == "-")
            {
                return true;
            }

            Spec ??= new RunOptionSpec();
            // -kj4, -j4k, -N2, -C, : short options bundled in one word, as GNU parallel's Getopt allows.
            var read = !arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2 ? TryReadBundle(arg, out error) : TryReadOption(arg, out error);
            if (!read)
            {
                return false;
            }
        }

        return true;
    }

    // One option word: a name, "--name=value", or a name whose value is the next word.
    private bool TryReadOption(string arg, out string error)
    {
        error = "";
        var name = arg;
        string? attached = null;
        if (arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=', StringComparison.Ordinal) is var eq and > 0)
        {
            (name, attached) = (arg[..eq], arg[(eq + 1)..]);
        }

        if (!Spec!.Knows(name))
        {
            error = $"unknown option '{name}'.";
            return false;
        }

        OptionTokens.Add(name);
        if (attached is null)
        {
            return !Spec.TakesValue(name) || TryReadNextValue(name, out error);
        }

        if (!Spec.TakesValue(name))
        {
            error = $"option '{name}' takes no value (was given '{attached}').";
            return false;
        }

        OptionTokens.Add(attached);
        return true;
    }

    // A word of bundled short options; the last one may take its value from the next word.
    private bool TryReadBundle(string arg, out string error)
    {
        if (!TryUnbundle(arg, out var needsNext, out error))
        {
            return false;
        }

        return needsNext is null || TryReadNextValue(needsNext, out error);
    }

    // The value of an option whose word ended with its name: the next word, or for -l an optional number.
    private bool TryReadNextValue(string name, out string error)
    {
        error = "";
        if (name is "--max-lines" or "-l")
        {
            // -l's value is optional: the next word only if it is a number, as Getopt reads "l:f".
            OptionTokens.Add(_at + 1 < _args.Length && NumberPrefix(_args[_at + 1]) == _args[_at + 1].Length ? _args[++_at] : "1");
            return true;
        }

        if (_at + 1 >= _args.Length)
        {
            error = $"option '{name}' needs a value.";
            return false;
        }

        OptionTokens.Add(_args[++_at]);
        return true;
    }

    /// <summary>
    /// Splits one word of bundled short options (<c>-kj4</c>) into option tokens, as Getopt's bundling does: flags
    /// follow each other, and an option that takes a value takes the rest of the word, or the next word when nothing
    /// is left (<paramref name="needsNext"/> then names it).
    /// </summary>
    /// <remarks>
    /// One step further than GNU parallel 20221122, which refuses <c>-j4k</c> ("Parsing of --jobs failed"): a number
    /// (4, +1, 50%) followed only by known flags is read as the number and those flags, since no valid value looks
    /// like that. Getopt does the same for integer options such as <c>-N2k</c>'s.
    /// </remarks>
    private bool TryUnbundle(string word, out string? needsNext, out string error)
    {
        needsNext = null;
        error = "";
        var spec = Spec!;
        for (var at = 1; at < word.Length; at++)
        {
            var name = "-" + word[at];
            if (!spec.Knows(name))
            {
                error = at == 1 ? $"unknown option '{name}'." : $"unknown option '{name}' in '{word}'.";
                return false;
            }

            OptionTokens.Add(name);
            if (!spec.TakesValue(name))
            {
                continue;
            }

            var rest = word[(at + 1)..];
            if (rest.Length == 0)
            {
                needsNext = name;
                return true;
            }

            var number = NumberPrefix(rest);
            if (number > 0 && number < rest.Length && rest[number..].All(c => spec.Knows("-" + c) && !spec.TakesValue("-" + c)))
            {
                OptionTokens.Add(rest[..number]);
                at += number;
                continue;
            }

            OptionTokens.Add(rest);
            return true;
        }

        return true;
    }

    // The command: every word up to the first separator.
    private void ReadCommand()
    {
        for (; _at < _args.Length && !IsSeparator(_args[_at]); _at++)
        {
            Command.Add(_args[_at]);
        }
    }

    // The sources: after each separator, its values (":::") or files ("::::"); a '+' links it to the source before.
    private bool TryReadSources(out string error)
    {
        error = "";
        while (_at < _args.Length)
        {
            var separator = _args[_at++];
            var linked = separator.EndsWith('+');
            var values = new List<string>();
            for (; _at < _args.Length && !IsSeparator(_args[_at]); _at++)
            {
                values.Add(_args[_at]);
            }

            if (!separator.StartsWith("::::", StringComparison.Ordinal))
            {
                Sources.Add(JobInputSource.FromValues(values, linked));
                continue;
            }

            if (values.Count == 0)
            {
                error = $"'{separator}' must be followed by at least one file.";
                return false;
            }

            for (var n = 0; n < values.Count; n++)
            {
                Sources.Add(JobInputSource.FromFile(values[n], linked && n == 0));
            }
        }

        return true;
    }

    // The length of the number (+4, -1, 2.5, 50%) that starts text, or 0.
    private static int NumberPrefix(string text)
    {
        var at = text.Length > 0 && text[0] is '+' or '-' ? 1 : 0;
        var digits = at;
        while (at < text.Length && (char.IsAsciiDigit(text[at]) || text[at] == '.'))
        {
            at++;
        }

        if (at == digits)
        {
            return 0;
        }

        return at < text.Length && text[at] == '%' ? at + 1 : at;
    }
}
