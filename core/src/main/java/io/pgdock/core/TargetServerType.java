package io.pgdock.core;

/**
 * Which server of a multi-host connection to use, with pgjdbc's meaning and spelling of {@code targetServerType}.
 */
public enum TargetServerType {
    /** Any server that answers (the default). */
    ANY("any"),
    /** Only a primary (read-write) server. */
    PRIMARY("primary"),
    /** Only a standby (read-only) server. */
    SECONDARY("secondary"),
    /** A standby if one answers, else the primary. */
    PREFER_SECONDARY("preferSecondary"),
    /** The primary if it answers, else a standby. */
    PREFER_PRIMARY("preferPrimary");

    private final String value;

    TargetServerType(String value) {
        this.value = value;
    }

    /**
     * The spelling used in URLs and by pgjdbc, for example {@code "preferSecondary"}.
     *
     * @return the external value
     */
    public String value() {
        return value;
    }

    static TargetServerType parse(String source, String raw) {
        for (TargetServerType type : values()) {
            if (type.value.equalsIgnoreCase(raw)) {
                return type;
            }
        }
        // pgjdbc still accepts the old "master"/"slave" names; we name only the current ones.
        throw new InvalidConnectionSpecException(source,
                "unknown targetServerType, expected one of any, primary, secondary, preferSecondary, preferPrimary, but was "
                        + Values.show(raw));
    }
}
