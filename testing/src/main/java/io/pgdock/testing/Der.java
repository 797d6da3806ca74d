package io.pgdock.testing;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * The few ASN.1 DER encodings that {@link TestCertificates} writes certificates with (X.690): each method returns one
 * complete element, tag, length and contents. The JDK can parse certificates but has no public API to make one; this is
 * the part of that which a test CA needs, and nothing more (no decoding).
 *
 * <p>Stateless; thread-safe.
 */
final class Der {

    private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'");

    private Der() {
    }

    static byte[] sequence(byte[]... elements) {
        return element(0x30, concat(List.of(elements)));
    }

    static byte[] sequence(List<byte[]> elements) {
        return element(0x30, concat(elements));
    }

    static byte[] set(byte[]... elements) {
        return element(0x31, concat(List.of(elements)));
    }

    static byte[] integer(BigInteger value) {
        return element(0x02, value.toByteArray()); // two's complement, minimal, as DER wants
    }

    static byte[] bool(boolean value) {
        return element(0x01, new byte[] {(byte) (value ? 0xff : 0x00)});
    }

    static byte[] nullValue() {
        return element(0x05, new byte[0]);
    }

    static byte[] octetString(byte[] contents) {
        return element(0x04, contents);
    }

    /** A BIT STRING of whole bytes (a key, a signature): no unused bits. */
    static byte[] bitString(byte[] bytes) {
        byte[] contents = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, contents, 1, bytes.length);
        return element(0x03, contents);
    }

    /**
     * A named-bit BIT STRING such as KeyUsage, from the numbers of the bits that are set (bit 0 is the most significant
     * bit of the first byte); DER drops trailing zero bits.
     */
    static byte[] namedBits(int... bits) {
        int highest = 0;
        for (int bit : bits) {
            highest = Math.max(highest, bit);
        }
        byte[] contents = new byte[1 + highest / 8 + 1];
        for (int bit : bits) {
            contents[1 + bit / 8] |= (byte) (0x80 >>> (bit % 8));
        }
        contents[0] = (byte) (7 - highest % 8); // unused bits in the last byte
        return element(0x03, contents);
    }

    static byte[] utf8String(String value) {
        return element(0x0c, value.getBytes(StandardCharsets.UTF_8));
    }

    /** UTCTime, which RFC 5280 requires for dates before 2050. */
    static byte[] utcTime(ZonedDateTime time) {
        ZonedDateTime utc = time.withZoneSameInstant(ZoneOffset.UTC);
        if (utc.getYear() < 1950 || utc.getYear() >= 2050) {
            throw new IllegalArgumentException("UTCTime covers 1950 to 2049, but the time was " + utc);
        }
        return element(0x17, UTC_TIME.format(utc).getBytes(StandardCharsets.US_ASCII));
    }

    /** An OBJECT IDENTIFIER from its dotted form, for example {@code "2.5.4.3"}. */
    static byte[] oid(String dotted) {
        String[] arcs = dotted.split("\\.", -1);
        if (arcs.length < 2) {
            throw new IllegalArgumentException("an OID has at least two arcs, but was " + dotted);
        }
        ByteArrayOutputStream contents = new ByteArrayOutputStream();
        base128(contents, Long.parseLong(arcs[0]) * 40 + Long.parseLong(arcs[1]));
        for (int i = 2; i < arcs.length; i++) {
            base128(contents, Long.parseLong(arcs[i]));
        }
        return element(0x06, contents.toByteArray());
    }

    /** A context-specific, constructed, explicitly tagged element: {@code [n] EXPLICIT}. */
    static byte[] explicit(int tagNumber, byte[] element) {
        return element(0xa0 | tagNumber, element);
    }

    /** A context-specific, primitive, implicitly tagged element, such as a GeneralName's {@code [2] dNSName}. */
    static byte[] implicitPrimitive(int tagNumber, byte[] contents) {
        return element(0x80 | tagNumber, contents);
    }

    /** One element of a low tag number (0 to 30): tag, definite length, contents. */
    static byte[] element(int tag, byte[] contents) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(contents.length + 6);
        out.write(tag);
        int length = contents.length;
        if (length < 0x80) {
            out.write(length);
        } else {
            int octets = (Integer.SIZE - Integer.numberOfLeadingZeros(length) + 7) / 8;
            out.write(0x80 | octets);
            for (int i = octets - 1; i >= 0; i--) {
                out.write(length >>> (8 * i));
            }
        }
        out.writeBytes(contents);
        return out.toByteArray();
    }

    private static void base128(ByteArrayOutputStream out, long value) {
        List<Integer> groups = new ArrayList<>();
        long rest = value;
        do {
            groups.add(0, (int) (rest & 0x7f));
            rest >>>= 7;
        } while (rest != 0);
        for (int i = 0; i < groups.size(); i++) {
            out.write(groups.get(i) | (i < groups.size() - 1 ? 0x80 : 0));
        }
    }

    private static byte[] concat(List<byte[]> parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        parts.forEach(out::writeBytes);
        return out.toByteArray();
    }
}
