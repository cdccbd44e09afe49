using System.CommandLine.Parsing;
using System.Globalization;

namespace Spindle.Cli.Commands;

/// <summary>
/// Parsers for numeric options whose errors name the option, the bad value and what to give instead, rather than
/// System.CommandLine's "Cannot parse argument 'abc' ... as expected type 'System.Nullable`1[System.Double]'".
/// </summary>
internal static class OptionValues
{
    /// <summary>A whole number of at least <paramref name="minimum"/>.</summary>
    public static Func<ArgumentResult, int> WholeNumber(int minimum) => result =>
    {
        var text = Text(result);
        if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= minimum)
        {
            return value;
        }

        result.AddError($"{OptionName(result)} must be a whole number of at least {minimum} (was '{text}'); for example {OptionName(result)} {Math.Max(minimum, 1) + 1}.");
        return minimum;
    };

    /// <summary>An optional whole number of at least <paramref name="minimum"/> (null when the option is not given).</summary>
    public static Func<ArgumentResult, int?> OptionalWholeNumber(int minimum)
    {
        var parse = WholeNumber(minimum);
        return result => parse(result);
    }

    /// <summary>An optional number greater than 0, with a decimal point (not a comma) whatever the culture.</summary>
    public static Func<ArgumentResult, double?> OptionalPositiveNumber() => result =>
    {
        var text = Text(result);
        if (double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) && value > 0 && double.IsFinite(value))
        {
            return value;
        }

        result.AddError($"{OptionName(result)} must be a number greater than 0 (was '{text}'); for example {OptionName(result)} 0.5.");
        return null;
    };

    private static string Text(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";

    private static string OptionName(ArgumentResult result) => result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;
}
