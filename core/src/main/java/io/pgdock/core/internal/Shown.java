package io.pgdock.core.internal;

/** Shows bad values in error messages. Not API: shared by pgdock's modules. */
public final class Shown {
    private static final int MAX_SHOWN = 80;

    private Shown() {
    }

    /**
     * A value as it should appear in an error message: quoted, control characters and unpaired surrogates escaped (so
     * the message prints the same in any log or terminal), long values cut after about 80 characters of the escaped
     * form (an escape takes up to 6 characters, so counting the value's characters instead would let a value of
     * control characters fill a message 6 times over), followed by the value's length.
     */
    public static String show(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(Math.min(value.length(), MAX_SHOWN) + 16).append('"');
        int i = 0;
        for (; i < value.length() && out.length() <= MAX_SHOWN; i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (Character.isHighSurrogate(c) && i + 1 < value.length()
                            && Character.isLowSurrogate(value.charAt(i + 1))) {
                        out.append(c).append(value.charAt(++i));
                    } else if (Character.isISOControl(c) || Character.isSurrogate(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
        if (i < value.length()) {
            out.append("... (").append(value.length()).append(" characters)");
        }
        return out.toString();
    }
}
