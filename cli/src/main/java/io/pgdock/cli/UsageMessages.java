package io.pgdock.cli;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The one line shown for a command line picocli refused. Picocli's own messages quote the arguments they did not
 * understand, and an argument can be a password or a secret (a URL given before the command, a mistyped {@code --url},
 * a secret starting with "-"), so the line names options and argument positions but shows no value, except numbers
 * and durations ({@code 5s}, {@code PT5S}); a {@code ://user:password@} in what is shown is masked too.
 *
 * <p><b>Thread safety.</b> Stateless.
 */
final class UsageMessages {

    /** What an option name looks like; anything else that starts with "-" could be a value and is not shown. */
    private static final Pattern OPTION_NAME = Pattern.compile("--[a-z][a-z0-9]*(-[a-z0-9]+)*|-[a-zA-Z?]");
    /** Values that are shown: numbers and durations, which name no secret. */
    private static final Pattern HARMLESS = Pattern.compile(
            "-?\\d{1,19}|\\d{1,19}(ms|s|m|h)|[Pp]([0-9]+[Dd])?([Tt]([0-9.]+[HhMmSs])+)?");
    /** A mistyped command that may be shown: a short word, as command names are. */
    private static final Pattern SHOWN_WORD = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,31}");
    private static final Pattern URL_PASSWORD = Pattern.compile("(://[^\\s/@:]*):[^\\s@]*@");
    /** The options every running command has, which go after the command's name. */
    private static final Set<String> COMMAND_OPTIONS = Set.of("--url", "--connect-timeout", "-v", "--verbose",
            "--scope", "--json");

    private UsageMessages() {
    }

    /** The message for {@code e}, raised for the command line {@code args}, without any argument's value. */
    static String of(ParameterException e, String[] args) {
        CommandSpec spec = e.getCommandLine().getCommandSpec();
        // Values are masked in the whole message before it is cut to its first line: a value with a line break would
        // otherwise lose its closing quote, no longer match, and show its first line.
        if (e instanceof UnmatchedArgumentException u) {
            return maskUrlPasswords(unmatched(u, spec, args));   // built from option names and positions only
        }
        String message = Cli.firstLine(withoutValues(e.getMessage(), e.getValue(), spec, args));
        return maskUrlPasswords(stillShowing(message, e.getValue(), spec, args) ? withNoValue(message) : message);
    }

    /**
     * A command group given a word that is none of its commands (the first argument it did not understand, where a
     * command goes): the closest commands, by edit distance. The word is shown only when a command is that close to
     * it (no secret is two typos away from a command name); otherwise it is numbered, as other arguments are.
     */
    private static String unknownCommand(String token, int at, CommandSpec spec) {
        List<String> commands = new ArrayList<>(spec.subcommands().keySet());
        List<String> closest = Suggestions.closest(token, commands);
        String group = "'" + spec.qualifiedName() + "'";
        if (!closest.isEmpty() && SHOWN_WORD.matcher(token).matches()) {
            return "unknown command '" + token + "' for " + group + "; did you mean "
                    + String.join(" or ", closest.stream().map(c -> "'" + c + "'").toList()) + "?";
        }
        return "unknown command" + (at < 0 ? "" : " at argument #" + (at + 1)) + " for " + group
                + " (arguments that may be values are not shown); the commands are " + String.join(", ", commands);
    }

    /** Unknown options by name (when they look like one), other arguments by their position, from 1. */
    private static String unmatched(UnmatchedArgumentException e, CommandSpec spec, String[] args) {
        List<String> tokens = e.getUnmatched();
        if (!spec.subcommands().isEmpty() && spec.positionalParameters().isEmpty() && !tokens.isEmpty()
                && !tokens.get(0).startsWith("-")) {
            return unknownCommand(tokens.get(0), indexOf(args, tokens.get(0), 0), spec);
        }
        List<String> suggestions = new ArrayList<>();
        List<String> parts = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        boolean hidden = false;
        boolean misplaced = false;
        int from = 0;
        for (String token : e.getUnmatched()) {
            int at = indexOf(args, token, from);
            from = at < 0 ? from : at + 1;
            String where = at < 0 ? "" : "#" + (at + 1);
            if (token.length() > 1 && token.startsWith("-")) {
                String name = token.contains("=") ? token.substring(0, token.indexOf('=')) : token;
                if (OPTION_NAME.matcher(name).matches()) {
                    parts.add("unknown option '" + name + "'");
                    if (name.startsWith("--")) {
                        Suggestions.closest(name.substring(2), longOptionNames(spec)).forEach(
                                o -> suggestions.add("'--" + o + "'"));
                    }
                    misplaced |= COMMAND_OPTIONS.contains(name) && !spec.subcommands().isEmpty();
                } else {
                    parts.add("unknown option" + (where.isEmpty() ? "" : " at argument " + where));
                    hidden = true;
                }
            } else {
                unexpected.add(where);
                hidden = true;
            }
        }
        unexpected.removeIf(String::isEmpty);
        if (!unexpected.isEmpty()) {
            parts.add("unexpected argument" + (unexpected.size() == 1 ? " " : "s ") + String.join(", ", unexpected));
        } else if (hidden && parts.isEmpty()) {
            parts.add("unexpected arguments");
        }
        if (parts.isEmpty()) {
            return "unexpected arguments";
        }
        return String.join(", ", parts) + (hidden ? " (arguments that may be values are not shown)" : "")
                + (misplaced ? "; options such as --url go after the command, e.g. 'pgdock config get KEY --url URL'"
                        : "")
                + (suggestions.isEmpty() ? "" : "; did you mean " + String.join(" or ", suggestions) + "?");
    }

    /** The command's long option names, without their "--". */
    private static List<String> longOptionNames(CommandSpec spec) {
        List<String> names = new ArrayList<>();
        for (OptionSpec o : spec.options()) {
            for (String n : o.names()) {
                if (n.startsWith("--")) {
                    names.add(n.substring(2));
                }
            }
        }
        return names;
    }

    private static int indexOf(String[] args, String token, int from) {
        for (int i = from; args != null && i < args.length; i++) {
            if (args[i].equals(token)) {
                return i;
            }
        }
        return -1;
    }

    /** Picocli's message with every quoted argument value (other than a name, number or duration) left out. */
    private static String withoutValues(@Nullable String message, @Nullable String value, CommandSpec spec,
            String @Nullable [] args) {
        Set<String> values = new HashSet<>();
        if (value != null) {
            values.add(value);
        }
        for (String arg : args == null ? new String[0] : args) {
            values.add(arg);
            if (arg.startsWith("-") && arg.contains("=")) {
                values.add(arg.substring(arg.indexOf('=') + 1));
            }
        }
        Set<String> names = names(spec);
        String m = message == null ? "" : message;
        for (String v : values) {
            if (!v.isEmpty() && !names.contains(v) && !HARMLESS.matcher(v).matches()) {
                m = m.replace("'" + v + "'", "'(not shown)'");
            }
        }
        return m;
    }

    /**
     * Whether the line still holds an argument value that is not a name, number or duration (four characters or more,
     * so that short values do not match ordinary words): a last check, for messages whose quoting the masking missed.
     */
    private static boolean stillShowing(String line, @Nullable String value, CommandSpec spec, String @Nullable [] args) {
        Set<String> names = names(spec);
        List<String> values = new ArrayList<>();
        if (value != null) {
            values.add(value);
        }
        for (String arg : args == null ? new String[0] : args) {
            values.add(arg);
            values.add(arg.contains("=") ? arg.substring(arg.indexOf('=') + 1) : arg);
            arg.lines().forEach(values::add);
        }
        for (String v : values) {
            if (v.length() >= 4 && !names.contains(v) && !OPTION_NAME.matcher(v).matches()
                    && !HARMLESS.matcher(v).matches() && line.contains(v)) {
                return true;
            }
        }
        return false;
    }

    /** The line up to its first quoted part, with the rest replaced by a note that the value is not shown. */
    private static String withNoValue(String line) {
        int quote = line.indexOf('\'');
        return (quote < 0 ? "invalid command line" : line.substring(0, quote).trim()) + " (value not shown)";
    }

    /** The names picocli may quote: the options, commands and positional parameters of the command and its parents. */
    private static Set<String> names(CommandSpec spec) {
        Set<String> names = new HashSet<>();
        for (CommandSpec s = spec; s != null; s = s.parent()) {
            names.add(s.name());
            s.subcommands().keySet().forEach(names::add);
            for (OptionSpec o : s.options()) {
                names.addAll(List.of(o.names()));
            }
            s.positionalParameters().forEach(p -> names.add(p.paramLabel()));
        }
        return names;
    }

    /** {@code scheme://user:password@host} with the password as {@code ***}. */
    static String maskUrlPasswords(String text) {
        return URL_PASSWORD.matcher(text).replaceAll("$1:***@");
    }
}
