package io.pgdock.core.internal;

/** Shows bad values in error messages. Not API: shared by pgdock's modules. */
public final class Shown {
    private static final int MAX_SHOWN = 80;

    private Shown() {
    }

    /**
     * A value as it should appear in an error message: quoted, control characters escaped, long values cut.
     */
    public static String show(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(Math.min(value.length(), MAX_SHOWN) + 16).append('"');
        int shown = 0;
        for (int i = 0; i < value.length() && shown < MAX_SHOWN; i++, shown++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (Character.isISOControl(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
        if (value.length() > MAX_SHOWN) {
            out.append("... (").append(value.length()).append(" characters)");
        }
        return out.toString();
    }
}
