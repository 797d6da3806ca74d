package io.pgdock.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.AppenderBase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.slf4j.LoggerFactory;

/**
 * Captures every log line while it is installed, through logback (pgdock, HikariCP, Jdbi, at TRACE) and through
 * java.util.logging (pgjdbc, logger {@code org.postgresql}, at FINEST), and checks texts for secret markers and their
 * obvious encodings (URL-encoded, base64). {@link #close()} puts the previous levels back.
 *
 * <p>Thread-safe: appenders may be called from any thread while a test runs.
 */
final class LeakCapture implements AutoCloseable {
    private static final List<String> LOGBACK_LOGGERS = List.of("io.pgdock", "com.zaxxer.hikari", "org.jdbi");

    private final Set<String> markers = new LinkedHashSet<>();
    private final Queue<String> lines = new ConcurrentLinkedQueue<>();
    private final Map<String, Level> previousLevels = new HashMap<>();
    private final java.util.logging.Level previousJulLevel;
    private final AppenderBase<ILoggingEvent> appender;
    private final Handler julHandler;

    LeakCapture() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        appender = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent event) {
                StringBuilder line = new StringBuilder(event.getLoggerName()).append(' ').append(event.getLevel())
                        .append(' ').append(event.getFormattedMessage());
                for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
                    appendProxy(line, t);
                }
                lines.add(line.toString());
            }
        };
        appender.setContext(context);
        appender.setName("leak-scan");
        appender.start();
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(appender);
        for (String name : LOGBACK_LOGGERS) {
            Logger logger = context.getLogger(name);
            previousLevels.put(name, logger.getLevel());
            logger.setLevel(Level.TRACE);
        }
        java.util.logging.Logger pgjdbc = java.util.logging.Logger.getLogger("org.postgresql");
        previousJulLevel = pgjdbc.getLevel();
        julHandler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                String message = new java.util.logging.SimpleFormatter().formatMessage(record);
                StringWriter trace = new StringWriter();
                if (record.getThrown() != null) {
                    record.getThrown().printStackTrace(new PrintWriter(trace));
                }
                lines.add(record.getLoggerName() + " " + record.getLevel() + " " + message + " " + trace);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        julHandler.setLevel(java.util.logging.Level.ALL);
        pgjdbc.setLevel(java.util.logging.Level.FINEST);
        pgjdbc.addHandler(julHandler);
    }

    private static void appendProxy(StringBuilder line, IThrowableProxy t) {
        line.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
        for (StackTraceElementProxy element : t.getStackTraceElementProxyArray()) {
            line.append(' ').append(element.getSTEAsString());
        }
        for (IThrowableProxy suppressed : t.getSuppressed()) {
            appendProxy(line, suppressed);
        }
    }

    /** Adds a secret (a password, a secret value, key material) that must appear nowhere. */
    LeakCapture secret(String marker) {
        markers.add(marker);
        markers.add(URLEncoder.encode(marker, StandardCharsets.UTF_8));
        markers.add(Base64.getEncoder().encodeToString(marker.getBytes(StandardCharsets.UTF_8)));
        markers.add(Base64.getUrlEncoder().withoutPadding().encodeToString(marker.getBytes(StandardCharsets.UTF_8)));
        return this;
    }

    /** The log lines captured so far. */
    List<String> lines() {
        return new ArrayList<>(lines);
    }

    /** Forgets the lines captured so far (after a test of the scan itself). */
    void clear() {
        lines.clear();
    }

    /** Asserts that no captured log line holds a secret. */
    void assertLogsClean() {
        for (String line : lines) {
            assertClean("log line", line);
        }
    }

    /** Asserts that the text (a message, a toString, an export, a command's output) holds no secret. */
    void assertClean(String where, CharSequence text) {
        String s = String.valueOf(text);
        for (String marker : markers) {
            assertThat(s.contains(marker)).as("a secret (%s...) appears in %s: %s", marker.substring(0, 4), where,
                    s.length() > 2_000 ? s.substring(0, 2_000) + "..." : s).isFalse();
        }
    }

    /** Asserts that an exception's message, toString and stack trace text (causes and suppressed too) hold no secret. */
    void assertClean(Throwable error) {
        assertThat(error).as("an exception was expected").isNotNull();
        StringWriter trace = new StringWriter();
        error.printStackTrace(new PrintWriter(trace));
        assertClean("exception " + error.getClass().getName(), error + "\n" + trace);
    }

    @Override
    public void close() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(appender);
        appender.stop();
        previousLevels.forEach((name, level) -> context.getLogger(name).setLevel(level));
        java.util.logging.Logger pgjdbc = java.util.logging.Logger.getLogger("org.postgresql");
        pgjdbc.removeHandler(julHandler);
        pgjdbc.setLevel(previousJulLevel);
    }
}
