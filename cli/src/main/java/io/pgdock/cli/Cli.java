package io.pgdock.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.pgdock.config.ConfigSecretException;
import io.pgdock.config.InvalidConfigException;
import io.pgdock.core.ConnectionFailedException;
import io.pgdock.core.InvalidConnectionSpecException;
import io.pgdock.core.Ticker;
import io.pgdock.datasource.UnknownTargetException;
import java.io.BufferedWriter;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * One run of the command line: the environment and streams it was given, the picocli set-up, and how failures become
 * one line on stderr and an exit code.
 *
 * <p><b>Thread safety.</b> One instance serves one run, on one thread (a watch's listener thread only hands events to
 * it through a queue).
 */
final class Cli {

    /**
     * Strict JSON (RFC 8259), nothing after the value; numbers kept exact, scale included ({@code 2.50} stays
     * {@code 2.50}), and as long as the store allows (its limits on nesting and size are checked by the store).
     */
    static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNumberLength(200_000).maxNestingDepth(2_000).build())
                    .build())
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();

    final Map<String, String> env;
    final InputStream in;
    final PrintStream out;
    final PrintStream err;
    /** Whether standard output is a terminal. */
    final boolean outTerminal;
    /** Whether standard error is a terminal (where a progress bar is drawn). */
    final boolean errTerminal;
    /** What progress bars measure their rate and time left with. */
    final Ticker ticker;
    /**
     * The JVM's {@code user.name}, the last source of the default actor (after the environment's user variables);
     * null when it is not to be read ({@link PgdockCli#execute} reads only the environment it is given).
     */
    final @Nullable String systemUser;

    /** A run with the system ticker, whose default actor comes from {@code env} alone. */
    Cli(Map<String, String> env, InputStream in, PrintStream out, PrintStream err, boolean outTerminal,
            boolean errTerminal) {
        this(env, in, out, err, outTerminal, errTerminal, Ticker.system(), null);
    }

    Cli(Map<String, String> env, InputStream in, PrintStream out, PrintStream err, boolean outTerminal,
            boolean errTerminal, Ticker ticker, @Nullable String systemUser) {
        this.env = env;
        this.in = in;
        this.out = out;
        this.err = err;
        this.outTerminal = outTerminal;
        this.errTerminal = errTerminal;
        this.ticker = ticker;
        this.systemUser = systemUser;
    }

    /** The variables naming the OS user, in the order they are read: POSIX shells, then Windows. */
    static final List<String> USER_VARIABLES = List.of("USER", "LOGNAME", "USERNAME");

    /**
     * The OS user running the command: the first of {@code USER}, {@code LOGNAME} and {@code USERNAME} that is set
     * and not blank, else the JVM's {@code user.name} when it was given (and is not {@code "?"}, what the JDK reports
     * for a user id without a name), else empty.
     */
    java.util.Optional<String> osUser() {
        for (String name : USER_VARIABLES) {
            String value = env.get(name);
            if (value != null && !value.isBlank()) {
                return java.util.Optional.of(value.strip());
            }
        }
        if (systemUser != null && !systemUser.isBlank() && !systemUser.strip().equals("?")) {
            return java.util.Optional.of(systemUser.strip());
        }
        return java.util.Optional.empty();
    }

    /**
     * Whether to draw a progress bar: only on a terminal stderr, not with {@code --no-progress}, and not while the
     * command's document goes to a terminal stdout (the bar would be drawn into it).
     */
    boolean progress(boolean noProgress, boolean documentToStdout) {
        return errTerminal && !noProgress && !(documentToStdout && outTerminal);
    }

    int run(String... args) {
        CommandLine cmd = commandLine(new RootCommand(this));
        return cmd.execute(args);
    }

    CommandLine commandLine(Object root) {
        CommandLine cmd = new CommandLine(root);
        // What PrintWriter(OutputStream, boolean) does, with its charset (the platform's) named.
        cmd.setOut(new PrintWriter(new BufferedWriter(new OutputStreamWriter(out, Charset.defaultCharset())), true));
        cmd.setErr(new PrintWriter(new BufferedWriter(new OutputStreamWriter(err, Charset.defaultCharset())), true));
        cmd.registerConverter(Duration.class, Durations::parse);
        cmd.setCaseInsensitiveEnumValuesAllowed(true);
        cmd.setParameterExceptionHandler(this::usageError);
        cmd.setExecutionExceptionHandler((e, command, parseResult) -> failure(e, command));
        return cmd;
    }

    /** A command line picocli refused, or a command found a bad argument: one line, a hint, exit 2. */
    private int usageError(ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        err.println("pgdock: " + UsageMessages.of(e, args));
        err.println("Try '" + command.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return PgdockCli.USAGE;
    }

    /** A command failed: one line on stderr (the stack trace too with --verbose), exit 1 or, for bad input, 2. */
    private int failure(Exception e, CommandLine command) {
        boolean usage = isUsage(e);
        err.println("pgdock: " + message(e));
        if (command.getCommand() instanceof CliCommand c && c.verbose) {
            e.printStackTrace(err);
        }
        if (usage) {
            err.println("Try '" + command.getCommandSpec().qualifiedName() + " --help' for more information.");
        }
        err.flush();
        return usage ? PgdockCli.USAGE : PgdockCli.FAILURE;
    }

    /** Bad input from the command line or the environment, found once a command ran. */
    static boolean isUsage(Exception e) {
        return e instanceof UsageException || e instanceof InvalidConnectionSpecException
                || e instanceof InvalidConfigException || e instanceof UnknownTargetException;
    }

    static String message(Exception e) {
        if (e instanceof ConnectionFailedException c) {
            return "cannot connect (" + c.reason().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                    + "): " + firstLine(c.getMessage());
        }
        if (e instanceof InvalidConfigException && e.getMessage() != null && e.getMessage().contains("\n")) {
            // An import refusal lists one problem a line; on the one line of an error they are separated by "; ".
            List<String> lines = e.getMessage().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
            return lines.get(0) + " " + String.join("; ", lines.subList(1, lines.size()));
        }
        if (e instanceof ConfigSecretException s && s.problem() == ConfigSecretException.Problem.NO_KEY_PROVIDER) {
            return firstLine(s.getMessage()) + " (set PGDOCK_CONFIG_KEYS to read secrets)";
        }
        if (e instanceof UsageException || e instanceof CliFailure || e instanceof io.pgdock.core.PgdockException
                || e instanceof IllegalArgumentException || e instanceof java.io.IOException) {
            String m = firstLine(e.getMessage());
            return m.isEmpty() ? e.getClass().getSimpleName() : m;
        }
        return "unexpected " + e.getClass().getName() + ": " + firstLine(e.getMessage())
                + " (run with --verbose for the stack trace)";
    }

    static String firstLine(@Nullable String message) {
        if (message == null) {
            return "";
        }
        int nl = message.indexOf('\n');
        return (nl < 0 ? message : message.substring(0, nl)).strip();
    }

    /**
     * Parses strict JSON, refusing bad input with the line and column of the first error.
     *
     * @param what what the text is, for the message (for example {@code config key "a": value})
     */
    static JsonNode parseJson(String what, String text) {
        return parseJson(what, text, false);
    }

    /**
     * As {@link #parseJson(String, String)}; for a {@code secret}, the message has the position but not Jackson's
     * description of the problem, which can quote the text (an unquoted password, say).
     */
    static JsonNode parseJson(String what, String text, boolean secret) {
        try {
            JsonNode node = JSON.readTree(text);
            if (node == null || node.isMissingNode()) {
                throw new UsageException(what + " is empty; give a JSON value (or use --string for text)");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new UsageException(what + " is not valid JSON" + Cli.position(e) + ": "
                    + (secret ? "details not shown for a secret (text needs --string or JSON quotes)" : problem(e)));
        }
    }

    /** Jackson's description of a syntax error, without its reference to the source (which could show a secret). */
    static String problem(JsonProcessingException e) {
        String m = firstLine(e.getOriginalMessage());
        int source = m.indexOf("[Source");
        if (source >= 0) {
            m = m.substring(0, source);
            m = m.endsWith("at ") ? m.substring(0, m.length() - 3) : m;
            m = m.strip();
            m = m.endsWith("(start marker") ? m.substring(0, m.length() - "(start marker".length()).strip() : m;
        }
        return m;
    }

    static String position(JsonProcessingException e) {
        return e.getLocation() == null ? ""
                : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
    }

    /** Writes one JSON document on one line. */
    void printJson(Object document) {
        try {
            out.println(JSON.writeValueAsString(document));
            out.flush();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON output: " + e.getOriginalMessage(), e);
        }
    }
}
