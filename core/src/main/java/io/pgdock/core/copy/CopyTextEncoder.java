package io.pgdock.core.copy;

import io.pgdock.core.internal.Shown;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Iterator;
import java.util.List;
import java.util.RandomAccess;
import org.jspecify.annotations.Nullable;

/**
 * Encodes rows of Java values as PostgreSQL's COPY text format, in UTF-8, into a reusable buffer that is handed to a
 * {@link Sink} whenever it fills up. Not API.
 *
 * <p>Design: the whole point is speed, so values are written straight into one {@code byte[]} with no intermediate
 * {@code String} or {@code byte[]} for strings, integers, byte arrays and {@code java.time} values. The buffer never
 * grows: long values are written across several chunks. Only the buffer's contents are ever handed to the sink, and only
 * whole buffers or the final remainder, so the sink sees few, large writes.
 *
 * <p>Text format (PostgreSQL's {@code CopyAttributeOutText}): fields separated by a tab, rows ended by a newline, SQL
 * NULL written as {@code \N}; backslash, backspace, form feed, newline, carriage return, tab and vertical tab are written
 * as {@code \\ \b \f \n \r \t \v}. Other control characters may appear raw. NUL cannot be stored in PostgreSQL text and
 * is refused, as are unpaired UTF-16 surrogates (they are not Unicode and have no UTF-8 form).
 *
 * <p>Not thread-safe: one instance serves one COPY.
 */
final class CopyTextEncoder {
    /** Where full chunks go: {@code CopyIn::writeToCopy} in production, a byte array in tests. */
    @FunctionalInterface
    interface Sink {
        void write(byte[] bytes, int offset, int length) throws SQLException;
    }

    static final int DEFAULT_BUFFER_SIZE = 64 * 1024;

    /** The largest number of bytes any single fixed-size item (a number, a date-time) takes. */
    private static final int MAX_FIXED_ITEM_BYTES = 64;

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LONG_MIN = Long.toString(Long.MIN_VALUE).getBytes(StandardCharsets.US_ASCII);

    private final List<String> columns;
    private final Sink sink;
    private final byte[] buf;
    private int pos;
    private long rows;

    /**
     * @param columns the column names, for error messages; one value per column is expected in each row
     * @param bufferSize the chunk size, at least {@value #MAX_FIXED_ITEM_BYTES} bytes
     */
    CopyTextEncoder(List<String> columns, Sink sink, int bufferSize) {
        if (bufferSize < MAX_FIXED_ITEM_BYTES) {
            throw new IllegalArgumentException("bufferSize must be at least " + MAX_FIXED_ITEM_BYTES + ", but was "
                    + bufferSize);
        }
        this.columns = columns;
        this.sink = sink;
        this.buf = new byte[bufferSize];
    }

    /** The number of rows written so far. */
    long rowCount() {
        return rows;
    }

    /**
     * Appends one row. On an exception the buffer may hold part of this row; the COPY must then be abandoned.
     *
     * @throws NullPointerException if the row is null
     * @throws IllegalArgumentException if the row has the wrong number of values or a value cannot be encoded; the
     *     message names the row (counting from 1) and the column
     */
    void writeRow(List<?> row) throws SQLException {
        long number = rows + 1;
        if (row == null) {
            throw new NullPointerException("rows: row " + number + " is null");
        }
        int n = columns.size();
        if (row.size() != n) {
            throw new IllegalArgumentException("rows: row " + number + " has " + row.size() + " values, but " + n
                    + " columns were given");
        }
        if (row instanceof RandomAccess) {
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    put('\t');
                }
                writeValue(row.get(i), i);
            }
        } else {
            Iterator<?> values = row.iterator();
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    put('\t');
                }
                writeValue(values.next(), i);
            }
        }
        put('\n');
        rows = number;
    }

    /** Hands whatever is buffered to the sink. */
    void flush() throws SQLException {
        if (pos > 0) {
            int length = pos;
            pos = 0;
            sink.write(buf, 0, length);
        }
    }

    private void writeValue(Object value, int column) throws SQLException {
        if (value == null) {
            ensure(2);
            buf[pos++] = '\\';
            buf[pos++] = 'N';
        } else if (value instanceof String s) {
            writeText(s, column);
        } else if (value instanceof Integer i) {
            writeLong(i);
        } else if (value instanceof Long l) {
            writeLong(l);
        } else if (value instanceof Boolean b) {
            put(b ? 't' : 'f');
        } else if (value instanceof BigDecimal d) {
            writeText(d.toPlainString(), column);
        } else if (value instanceof Short || value instanceof Byte) {
            writeLong(((Number) value).longValue());
        } else if (value instanceof byte[] bytes) {
            writeBytea(bytes);
        } else if (value instanceof OffsetDateTime t) {
            writeDateTime(t.toLocalDateTime(), t.getOffset());
        } else if (value instanceof Instant t) {
            writeDateTime(LocalDateTime.ofEpochSecond(t.getEpochSecond(), t.getNano(), ZoneOffset.UTC), ZoneOffset.UTC);
        } else if (value instanceof LocalDateTime t) {
            writeDateTime(t, null);
        } else if (value instanceof LocalDate d) {
            ensure(MAX_FIXED_ITEM_BYTES);
            boolean bc = writeDate(d);
            writeEra(bc);
        } else if (value instanceof ZonedDateTime t) {
            writeDateTime(t.toLocalDateTime(), t.getOffset());
        } else if (value instanceof LocalTime t) {
            ensure(MAX_FIXED_ITEM_BYTES);
            writeTime(t);
        } else if (value instanceof OffsetTime t) {
            ensure(MAX_FIXED_ITEM_BYTES);
            writeTime(t.toLocalTime());
            writeOffset(t.getOffset());
        } else if (value instanceof CharSequence s) {
            writeText(s.toString(), column);
        } else if (value instanceof java.sql.Timestamp ts) {
            // As pgjdbc's setTimestamp does: the JVM zone's wall time with its offset, so a timestamptz column gets the
            // same instant whatever the session's TimeZone, and a timestamp column gets the wall time.
            LocalDateTime local = ts.toLocalDateTime();
            writeDateTime(local, local.atZone(ZoneId.systemDefault()).getOffset());
        } else if (value.getClass() == java.util.Date.class) {
            // java.sql.Date and Time are subclasses whose toString() (a local date or time) is what PostgreSQL reads.
            Instant t = ((java.util.Date) value).toInstant();
            writeDateTime(LocalDateTime.ofEpochSecond(t.getEpochSecond(), t.getNano(), ZoneOffset.UTC), ZoneOffset.UTC);
        } else if (value.getClass().isArray()) {
            throw new IllegalArgumentException(at(column) + "arrays other than byte[] are not supported, but got "
                    + value.getClass().getSimpleName() + "; pass a PostgreSQL array literal as a String instead");
        } else {
            String text = value.toString();
            if (text == null) {
                throw new IllegalArgumentException(at(column) + "toString() of " + value.getClass().getName()
                        + " returned null");
            }
            writeText(text, column);
        }
    }

    /** "rows: row 7, column "name": " for messages about the value being written. */
    private String at(int column) {
        return "rows: row " + (rows + 1) + ", column " + Shown.show(columns.get(column)) + ": ";
    }

    private void ensure(int bytes) throws SQLException {
        if (pos + bytes > buf.length) {
            flush();
        }
    }

    private void put(char ascii) throws SQLException {
        if (pos == buf.length) {
            flush();
        }
        buf[pos++] = (byte) ascii;
    }

    /**
     * Writes a string escaped and in UTF-8. The string is processed in runs that are guaranteed to fit the free part of
     * the buffer (at most 3 bytes per char, plus 1 when a surrogate pair straddles the end of a run), so the inner loop
     * has no bounds checks of its own.
     */
    private void writeText(String s, int column) throws SQLException {
        final byte[] b = buf;
        final int length = s.length();
        int i = 0;
        while (i < length) {
            int room = (b.length - pos) >> 2;
            if (room == 0) {
                flush();
                continue;
            }
            int end = Math.min(length, i + room);
            int p = pos;
            while (i < end) {
                char c = s.charAt(i++);
                if (c < 0x80) {
                    if (c >= 0x20) {
                        if (c == '\\') {
                            b[p++] = '\\';
                        }
                        b[p++] = (byte) c;
                    } else {
                        byte escape = switch (c) {
                            case '\b' -> 'b';
                            case '\t' -> 't';
                            case '\n' -> 'n';
                            case 0x0b -> 'v';
                            case '\f' -> 'f';
                            case '\r' -> 'r';
                            case '\0' -> throw new IllegalArgumentException(at(column) + "contains a NUL character "
                                    + "(\\0) at index " + (i - 1) + "; PostgreSQL text cannot store NUL");
                            default -> 0;
                        };
                        if (escape != 0) {
                            b[p++] = '\\';
                            b[p++] = escape;
                        } else {
                            b[p++] = (byte) c;
                        }
                    }
                } else if (c < 0x800) {
                    b[p++] = (byte) (0xc0 | (c >> 6));
                    b[p++] = (byte) (0x80 | (c & 0x3f));
                } else if (Character.isSurrogate(c)) {
                    if (Character.isHighSurrogate(c) && i < length && Character.isLowSurrogate(s.charAt(i))) {
                        int cp = Character.toCodePoint(c, s.charAt(i));
                        i++;
                        b[p++] = (byte) (0xf0 | (cp >> 18));
                        b[p++] = (byte) (0x80 | ((cp >> 12) & 0x3f));
                        b[p++] = (byte) (0x80 | ((cp >> 6) & 0x3f));
                        b[p++] = (byte) (0x80 | (cp & 0x3f));
                    } else {
                        pos = p;
                        throw new IllegalArgumentException(at(column) + "contains an unpaired surrogate character "
                                + String.format("\\u%04x", (int) c) + " at index " + (i - 1) + ", which is not valid "
                                + "Unicode");
                    }
                } else {
                    b[p++] = (byte) (0xe0 | (c >> 12));
                    b[p++] = (byte) (0x80 | ((c >> 6) & 0x3f));
                    b[p++] = (byte) (0x80 | (c & 0x3f));
                }
            }
            pos = p;
        }
    }

    private void writeLong(long value) throws SQLException {
        ensure(MAX_FIXED_ITEM_BYTES);
        if (value == Long.MIN_VALUE) {
            System.arraycopy(LONG_MIN, 0, buf, pos, LONG_MIN.length);
            pos += LONG_MIN.length;
            return;
        }
        if (value < 0) {
            buf[pos++] = '-';
            value = -value;
        }
        writeDigits(value, 1);
    }

    /** Writes a non-negative number with at least {@code minDigits} digits (zero-padded). The caller ensured room. */
    private void writeDigits(long value, int minDigits) {
        int digits = 1;
        for (long v = value / 10; v != 0; v /= 10) {
            digits++;
        }
        digits = Math.max(digits, minDigits);
        int p = pos + digits;
        pos = p;
        do {
            buf[--p] = (byte) ('0' + (value % 10));
            value /= 10;
            digits--;
        } while (digits > 0);
    }

    /** bytea in hex format; the backslash of {@code \x} is itself escaped for the text format. */
    private void writeBytea(byte[] bytes) throws SQLException {
        ensure(3);
        buf[pos++] = '\\';
        buf[pos++] = '\\';
        buf[pos++] = 'x';
        int i = 0;
        while (i < bytes.length) {
            int room = (buf.length - pos) >> 1;
            if (room == 0) {
                flush();
                continue;
            }
            int end = Math.min(bytes.length, i + room);
            int p = pos;
            for (; i < end; i++) {
                int v = bytes[i] & 0xff;
                buf[p++] = HEX[v >> 4];
                buf[p++] = HEX[v & 0x0f];
            }
            pos = p;
        }
    }

    /**
     * ISO 8601 with a space between date and time, as PostgreSQL writes it: {@code 2024-03-01 12:30:00.5+01:00}. Years
     * before 1 are written the way PostgreSQL reads them, with an era suffix ({@code 0044-03-15 12:00:00+00:00 BC} for
     * ISO year -43); years after 9999 without the {@code +} sign Java would add.
     */
    private void writeDateTime(LocalDateTime t, @Nullable ZoneOffset offset) throws SQLException {
        ensure(MAX_FIXED_ITEM_BYTES);
        boolean bc = writeDate(t.toLocalDate());
        buf[pos++] = ' ';
        writeTime(t.toLocalTime());
        if (offset != null) {
            writeOffset(offset);
        }
        writeEra(bc);
    }

    /** Writes yyyy-mm-dd and returns whether the date is BC. The caller ensured room. */
    private boolean writeDate(LocalDate d) {
        int year = d.getYear();
        boolean bc = year <= 0;
        writeDigits(bc ? 1L - year : year, 4);
        buf[pos++] = '-';
        writeDigits(d.getMonthValue(), 2);
        buf[pos++] = '-';
        writeDigits(d.getDayOfMonth(), 2);
        return bc;
    }

    private void writeEra(boolean bc) {
        if (bc) {
            buf[pos++] = ' ';
            buf[pos++] = 'B';
            buf[pos++] = 'C';
        }
    }

    /** Writes hh:mm:ss and, if there is a fraction, up to nine digits of it without trailing zeros. */
    private void writeTime(LocalTime t) {
        writeDigits(t.getHour(), 2);
        buf[pos++] = ':';
        writeDigits(t.getMinute(), 2);
        buf[pos++] = ':';
        writeDigits(t.getSecond(), 2);
        int nanos = t.getNano();
        if (nanos != 0) {
            int digits = 9;
            while (nanos % 10 == 0) {
                nanos /= 10;
                digits--;
            }
            buf[pos++] = '.';
            writeDigits(nanos, digits);
        }
    }

    /** Writes +hh:mm, or +hh:mm:ss when the offset has seconds. */
    private void writeOffset(ZoneOffset offset) {
        int total = offset.getTotalSeconds();
        buf[pos++] = (byte) (total < 0 ? '-' : '+');
        total = Math.abs(total);
        writeDigits(total / 3600, 2);
        buf[pos++] = ':';
        writeDigits((total / 60) % 60, 2);
        if (total % 60 != 0) {
            buf[pos++] = ':';
            writeDigits(total % 60, 2);
        }
    }
}
