package io.pgdock.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ShownTest {
    @Test
    void aShortValueIsShownWhole() {
        String value = "a".repeat(80);
        assertThat(Shown.show(value)).isEqualTo("\"" + value + "\"");
        assertThat(Shown.show("a\"b\\c\nd\u0000e")).isEqualTo("\"a\\\"b\\\\c\\nd\\u0000e\"");
    }

    @Test
    void aLongValueIsCutAndItsLengthShown() {
        assertThat(Shown.show("a".repeat(81))).isEqualTo("\"" + "a".repeat(80) + "\"... (81 characters)");
    }

    @Test
    void theCutCountsTheEscapedCharacters() {
        // 100 NULs escape to 600 characters; the shown part stays about as long as for plain text.
        String shown = Shown.show("\u0000".repeat(100));
        assertThat(shown).startsWith("\"\\u0000\\u0000").endsWith("\"... (100 characters)");
        assertThat(shown.length()).isLessThan(120);
        assertThat(Shown.show("\u0000".repeat(13))).isEqualTo("\"" + "\\u0000".repeat(13) + "\"");
    }
}
