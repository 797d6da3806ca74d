package io.pgdock.core.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CopyTextCodecTest {
    private static final List<String> ONE = List.of("v");

    /** Encodes rows with the given chunk size and returns the text the server would receive. */
    private static String encode(List<String> columns, int bufferSize, List<?>... rows) throws SQLException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CopyTextEncoder encoder = new CopyTextEncoder(columns, out::write, bufferSize);
        for (List<?> row : rows) {
            encoder.writeRow(row);
        }
        encoder.flush();
        assertThat(encoder.rowCount()).isEqualTo(rows.length);
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String encodeValue(Object value) throws SQLException {
        String line = encode(ONE, CopyTextEncoder.DEFAULT_BUFFER_SIZE, Arrays.asList(value));
        assertThat(line).endsWith("\n");
        return line.substring(0, line.length() - 1);
    }

    /** Decodes text, feeding it to the decoder in chunks of the given size. */
    private static List<List<String>> decode(byte[] data, int chunk) {
        List<List<String>> rows = new ArrayList<>();
        CopyTextDecoder<RuntimeException> decoder = new CopyTextDecoder<>(rows::add);
        for (int i = 0; i < data.length; i += chunk) {
            decoder.accept(data, i, Math.min(chunk, data.length - i));
        }
        decoder.finish();
        assertThat(decoder.rowCount()).isEqualTo(rows.size());
        return rows;
    }

    private static List<List<String>> decode(String text) {
        return decode(text.getBytes(StandardCharsets.UTF_8), Integer.MAX_VALUE);
    }

    @Nested
    class Encoding {
        @Test
        void nullIsBackslashN() throws SQLException {
            assertThat(encodeValue(null)).isEqualTo("\\N");
        }

        @Test
        void literalBackslashNTextIsNotNull() throws SQLException {
            assertThat(encodeValue("\\N")).isEqualTo("\\\\N");
        }

        @Test
        void emptyStringIsAnEmptyField() throws SQLException {
            assertThat(encodeValue("")).isEmpty();
        }

        @Test
        void separatorsAndBackslashesAreEscaped() throws SQLException {
            assertThat(encodeValue("a\tb\nc\rd\\e")).isEqualTo("a\\tb\\nc\\rd\\\\e");
        }

        @Test
        void otherControlCharactersAreEscapedLikePostgresDoes() throws SQLException {
            assertThat(encodeValue("\b\f\u000b")).isEqualTo("\\b\\f\\v");
            assertThat(encodeValue("\u0001\u001f\u007f")).isEqualTo("\u0001\u001f\u007f");
        }

        @Test
        void endOfDataMarkerCannotBeProduced() throws SQLException {
            assertThat(encodeValue("\\.")).isEqualTo("\\\\.");
        }

        @Test
        void unicodeIsUtf8() throws SQLException {
            String value = "é ü ß € 中文 😀 \uD835\uDD04";
            assertThat(encodeValue(value)).isEqualTo(value);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            CopyTextEncoder encoder = new CopyTextEncoder(ONE, out::write, 64);
            encoder.writeRow(List.of("€😀"));
            encoder.flush();
            assertThat(out.toByteArray()).containsExactly(
                    0xe2 - 256, 0x82 - 256, 0xac - 256, 0xf0 - 256, 0x9f - 256, 0x98 - 256, 0x80 - 256, '\n');
        }

        @Test
        void nulIsRefusedNamingRowAndColumn() {
            assertThatThrownBy(() -> encode(List.of("id", "name"), 64, List.of(1, "ok"), List.of(2, "bad\0value")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("row 2")
                    .hasMessageContaining("column \"name\"")
                    .hasMessageContaining("NUL");
        }

        @Test
        void unpairedSurrogateIsRefused() {
            assertThatThrownBy(() -> encodeValue("a\uD800b"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("row 1, column \"v\"")
                    .hasMessageContaining("unpaired surrogate character \\ud800 at index 1");
            assertThatThrownBy(() -> encodeValue("\uDC00"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("unpaired surrogate");
            assertThatThrownBy(() -> encodeValue("end\uD83D"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("unpaired surrogate");
        }

        @Test
        void rowsAreTabSeparatedAndNewlineTerminated() throws SQLException {
            assertThat(encode(List.of("a", "b", "c"), 64, List.of(1, "x", true), Arrays.asList(null, "", false)))
                    .isEqualTo("1\tx\tt\n\\N\t\tf\n");
        }

        @Test
        @SuppressWarnings("JdkObsolete") // LinkedList on purpose: a row list that is not RandomAccess
        void nonRandomAccessRowsWork() throws SQLException {
            assertThat(encode(List.of("a", "b"), 64, new LinkedList<>(List.of("x", 2)))).isEqualTo("x\t2\n");
        }

        @Test
        void wrongRowWidthIsRefused() {
            assertThatThrownBy(() -> encode(List.of("a", "b"), 64, List.of(1, 2), List.of(1)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("rows: row 2 has 1 values, but 2 columns were given");
        }

        @Test
        void nullRowIsRefused() {
            assertThatThrownBy(() -> encode(ONE, 64, List.of(1), null))
                    .isInstanceOf(NullPointerException.class)
                    .hasMessage("rows: row 2 is null");
        }

        @Test
        void numbers() throws SQLException {
            assertThat(encodeValue(0)).isEqualTo("0");
            assertThat(encodeValue(-42)).isEqualTo("-42");
            assertThat(encodeValue(Integer.MIN_VALUE)).isEqualTo("-2147483648");
            assertThat(encodeValue(Long.MAX_VALUE)).isEqualTo("9223372036854775807");
            assertThat(encodeValue(Long.MIN_VALUE)).isEqualTo("-9223372036854775808");
            assertThat(encodeValue((short) -7)).isEqualTo("-7");
            assertThat(encodeValue((byte) 127)).isEqualTo("127");
            assertThat(encodeValue(1.5d)).isEqualTo("1.5");
            assertThat(encodeValue(Double.NaN)).isEqualTo("NaN");
            assertThat(encodeValue(Float.NEGATIVE_INFINITY)).isEqualTo("-Infinity");
            assertThat(encodeValue(new BigDecimal("1E+3"))).isEqualTo("1000");
            assertThat(encodeValue(new BigDecimal("-0.000001"))).isEqualTo("-0.000001");
            assertThat(encodeValue(new BigInteger("123456789012345678901234567890")))
                    .isEqualTo("123456789012345678901234567890");
        }

        @Test
        void booleans() throws SQLException {
            assertThat(encodeValue(true)).isEqualTo("t");
            assertThat(encodeValue(false)).isEqualTo("f");
        }

        @Test
        void byteaIsHexWithEscapedBackslash() throws SQLException {
            assertThat(encodeValue(new byte[] {0, 1, (byte) 0xab, (byte) 0xff, 0x7f})).isEqualTo("\\\\x0001abff7f");
            assertThat(encodeValue(new byte[0])).isEqualTo("\\\\x");
        }

        @Test
        void uuid() throws SQLException {
            UUID id = UUID.fromString("123e4567-e89b-12d3-a456-426614174000");
            assertThat(encodeValue(id)).isEqualTo("123e4567-e89b-12d3-a456-426614174000");
        }

        @Test
        void dateTimes() throws SQLException {
            assertThat(encodeValue(LocalDate.of(2024, 2, 29))).isEqualTo("2024-02-29");
            assertThat(encodeValue(LocalTime.of(7, 5))).isEqualTo("07:05:00");
            assertThat(encodeValue(LocalTime.of(23, 59, 59, 999_999_999))).isEqualTo("23:59:59.999999999");
            assertThat(encodeValue(LocalDateTime.of(2024, 3, 1, 12, 30, 0, 250_000_000)))
                    .isEqualTo("2024-03-01 12:30:00.25");
            assertThat(encodeValue(OffsetDateTime.of(2024, 3, 1, 12, 30, 0, 1000, ZoneOffset.ofHours(-5))))
                    .isEqualTo("2024-03-01 12:30:00.000001-05:00");
            assertThat(encodeValue(OffsetDateTime.of(2024, 3, 1, 12, 30, 0, 0, ZoneOffset.ofHoursMinutesSeconds(1, 2, 3))))
                    .isEqualTo("2024-03-01 12:30:00+01:02:03");
            assertThat(encodeValue(Instant.parse("2024-03-01T12:30:00.123Z"))).isEqualTo("2024-03-01 12:30:00.123+00:00");
            assertThat(encodeValue(ZonedDateTime.of(2024, 7, 1, 9, 0, 0, 0, ZoneId.of("Europe/Paris"))))
                    .isEqualTo("2024-07-01 09:00:00+02:00");
            assertThat(encodeValue(OffsetTime.of(9, 0, 1, 0, ZoneOffset.ofHoursMinutes(5, 30))))
                    .isEqualTo("09:00:01+05:30");
            assertThat(encodeValue(java.util.Date.from(Instant.parse("2001-02-03T04:05:06Z"))))
                    .isEqualTo("2001-02-03 04:05:06+00:00");
            assertThat(encodeValue(java.sql.Date.valueOf("2001-02-03"))).isEqualTo("2001-02-03");
        }

        @Test
        void yearsOutsideOneToNineThousandNineHundredNinetyNine() throws SQLException {
            assertThat(encodeValue(LocalDate.of(0, 1, 1))).isEqualTo("0001-01-01 BC");
            assertThat(encodeValue(LocalDate.of(-43, 3, 15))).isEqualTo("0044-03-15 BC");
            assertThat(encodeValue(LocalDateTime.of(-4712, 1, 1, 0, 0))).isEqualTo("4713-01-01 00:00:00 BC");
            assertThat(encodeValue(OffsetDateTime.of(-43, 3, 15, 12, 0, 0, 0, ZoneOffset.UTC)))
                    .isEqualTo("0044-03-15 12:00:00+00:00 BC");
            assertThat(encodeValue(LocalDate.of(12345, 6, 7))).isEqualTo("12345-06-07");
            assertThat(encodeValue(LocalDate.of(5, 6, 7))).isEqualTo("0005-06-07");
        }

        @Test
        @SuppressWarnings("UnnecessaryStringBuilder") // on purpose: a CharSequence that is not a String
        void otherObjectsUseToString() throws SQLException {
            assertThat(encodeValue(new StringBuilder("a\tb"))).isEqualTo("a\\tb");
            assertThat(encodeValue(java.time.Duration.ofMinutes(90))).isEqualTo("PT1H30M");
            assertThat(encodeValue('x')).isEqualTo("x");
            assertThat(encodeValue(new Object() {
                @Override
                public String toString() {
                    return "custom\\";
                }
            })).isEqualTo("custom\\\\");
        }

        @Test
        void arraysOtherThanBytesAreRefused() {
            assertThatThrownBy(() -> encodeValue(new int[] {1, 2}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("row 1, column \"v\"")
                    .hasMessageContaining("arrays other than byte[] are not supported");
        }

        @Test
        void valuesLargerThanTheBufferAreSplitAcrossChunks() throws SQLException {
            StringBuilder big = new StringBuilder();
            for (int i = 0; i < 10_000; i++) {
                big.append("\\\t€😀x");
            }
            byte[] bytes = new byte[5000];
            new Random(1).nextBytes(bytes);
            List<Integer> chunkSizes = new ArrayList<>();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            CopyTextEncoder encoder = new CopyTextEncoder(List.of("a", "b"), (b, off, len) -> {
                chunkSizes.add(len);
                out.write(b, off, len);
            }, 64);
            encoder.writeRow(List.of(big.toString(), bytes));
            encoder.flush();
            assertThat(chunkSizes).allSatisfy(size -> assertThat(size).isBetween(1, 64));
            List<List<String>> rows = decode(out.toByteArray(), 7);
            assertThat(rows).hasSize(1);
            assertThat(rows.get(0).get(0)).isEqualTo(big.toString());
            assertThat(rows.get(0).get(1)).isEqualTo("\\x" + hex(bytes));
        }

        @Test
        void theSinkGetsFullChunksOnly() throws SQLException {
            List<Integer> chunkSizes = new ArrayList<>();
            CopyTextEncoder encoder = new CopyTextEncoder(List.of("a", "b"), (b, off, len) -> chunkSizes.add(len), 1024);
            for (int i = 0; i < 10_000; i++) {
                encoder.writeRow(List.of(i, "row"));
            }
            encoder.flush();
            assertThat(chunkSizes.subList(0, chunkSizes.size() - 1))
                    .allSatisfy(size -> assertThat(size).isBetween(960, 1024));
        }

        @Test
        void bufferMustHoldTheLargestFixedItem() {
            assertThatThrownBy(() -> new CopyTextEncoder(ONE, (b, off, len) -> { }, 63))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("bufferSize must be at least 64, but was 63");
        }
    }

    @Nested
    class Decoding {
        @Test
        void fieldsRowsAndNull() {
            assertThat(decode("1\tx\tt\n\\N\t\tf\n")).containsExactly(List.of("1", "x", "t"), Arrays.asList(null, "", "f"));
        }

        @Test
        void literalBackslashNIsText() {
            assertThat(decode("\\\\N\n")).containsExactly(List.of("\\N"));
            assertThat(decode("\\Nx\n")).containsExactly(List.of("Nx"));
        }

        @Test
        void escapesPostgresWrites() {
            assertThat(decode("a\\tb\\nc\\rd\\\\e\\b\\f\\v\n")).containsExactly(List.of("a\tb\nc\rd\\e\b\f\u000b"));
        }

        @Test
        void escapesPostgresReads() {
            assertThat(decode("\\101\\7\\x41\\x4a\\xg\\q\\\t\n")).containsExactly(List.of("A\u0007AJxgq\t"));
            assertThat(decode("\\303\\251\n")).containsExactly(List.of("é"));
        }

        @Test
        void singleEmptyColumn() {
            assertThat(decode("\n\n")).containsExactly(List.of(""), List.of(""));
        }

        @Test
        void unicodeSplitAcrossChunks() {
            byte[] data = "é€😀\t中\n".getBytes(StandardCharsets.UTF_8);
            for (int chunk = 1; chunk <= data.length; chunk++) {
                assertThat(decode(data, chunk)).containsExactly(List.of("é€😀", "中"));
            }
        }

        @Test
        void endOfDataMarkerEndsTheData() {
            assertThat(decode("a\n\\.\n")).containsExactly(List.of("a"));
            assertThatThrownBy(() -> decode("a\n\\.\nb\n"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("after the end-of-data marker");
        }

        @Test
        void rowsAreUnmodifiable() {
            List<String> row = decode("a\n").get(0);
            assertThatThrownBy(() -> row.set(0, "b")).isInstanceOf(UnsupportedOperationException.class);
        }

        @Test
        void truncatedDataIsRefused() {
            assertThatThrownBy(() -> decode("a\tb"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("ended in the middle of a row");
            assertThatThrownBy(() -> decode("a\\\n"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("lone backslash");
        }

        @Test
        void callbackExceptionsPassThrough() {
            CopyTextDecoder<java.io.IOException> decoder = new CopyTextDecoder<>(row -> {
                throw new java.io.IOException("stop at " + row);
            });
            byte[] data = "a\n".getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> decoder.accept(data, 0, data.length))
                    .isInstanceOf(java.io.IOException.class)
                    .hasMessage("stop at [a]");
        }
    }

    @Nested
    class RoundTrip {
        /** Characters that matter to the format, mixed with ordinary and multi-byte ones. */
        private static final String ALPHABET = "\\\t\n\r\b\f\u000bN.x \u0001\u001f\u007f\u0080é€中";

        private String randomString(Random random) {
            int length = random.nextInt(12);
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < length; i++) {
                switch (random.nextInt(4)) {
                    case 0 -> s.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
                    case 1 -> s.appendCodePoint(0x1F600 + random.nextInt(80));
                    case 2 -> {
                        int c = 1 + random.nextInt(0xFFFF);
                        if (!Character.isSurrogate((char) c)) {
                            s.append((char) c);
                        }
                    }
                    default -> s.append(random.nextBoolean() ? "\\N" : "\\.");
                }
            }
            return s.toString();
        }

        @ParameterizedTest
        @ValueSource(longs = {1, 2, 3, 4, 5})
        void randomStringsSurviveEncodeThenDecode(long seed) throws SQLException {
            Random random = new Random(seed);
            List<String> columns = List.of("a", "b", "c");
            List<List<String>> rows = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                List<String> row = new ArrayList<>();
                for (int c = 0; c < columns.size(); c++) {
                    row.add(random.nextInt(10) == 0 ? null : randomString(random));
                }
                rows.add(row);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            CopyTextEncoder encoder = new CopyTextEncoder(columns, out::write, 64 + random.nextInt(200));
            for (List<String> row : rows) {
                encoder.writeRow(row);
            }
            encoder.flush();
            byte[] encoded = out.toByteArray();
            assertThat(decode(encoded, 1 + random.nextInt(100))).isEqualTo(rows);
            assertThat(decode(encoded, Integer.MAX_VALUE)).isEqualTo(rows);
        }
    }

    private static String hex(byte[] bytes) {
        StringBuilder s = new StringBuilder();
        for (byte b : bytes) {
            s.append(String.format("%02x", b & 0xff));
        }
        return s.toString();
    }
}
