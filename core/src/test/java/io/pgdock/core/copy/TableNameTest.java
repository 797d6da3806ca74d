package io.pgdock.core.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TableNameTest {
    @Test
    void unqualifiedNameIsQuoted() {
        TableName name = TableName.of("Events");
        assertThat(name.toSql()).isEqualTo("\"Events\"");
        assertThat(name.schema()).isEmpty();
        assertThat(name.table()).isEqualTo("Events");
    }

    @Test
    void qualifiedNameQuotesBothParts() {
        TableName name = TableName.of("ingest", "a.b");
        assertThat(name.toSql()).isEqualTo("\"ingest\".\"a.b\"");
        assertThat(name.schema()).contains("ingest");
        assertThat(name).hasToString("\"ingest\".\"a.b\"");
    }

    @Test
    void quotesInsideNamesAreDoubledSoTheyCannotEndTheIdentifier() {
        assertThat(TableName.of("x\"; drop table t; --").toSql()).isEqualTo("\"x\"\"; drop table t; --\"");
    }

    @Test
    void equality() {
        assertThat(TableName.of("s", "t")).isEqualTo(TableName.of("s", "t")).hasSameHashCodeAs(TableName.of("s", "t"));
        assertThat(TableName.of("t")).isNotEqualTo(TableName.of("s", "t"));
        assertThat(TableName.of("t")).isNotEqualTo(TableName.of("T"));
    }

    @Test
    void badNamesAreRefusedNamingTheParameter() {
        assertThatThrownBy(() -> TableName.of(null)).isInstanceOf(NullPointerException.class).hasMessage("table");
        assertThatThrownBy(() -> TableName.of(null, "t")).isInstanceOf(NullPointerException.class).hasMessage("schema");
        assertThatThrownBy(() -> TableName.of("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("table must not be empty");
        assertThatThrownBy(() -> TableName.of("s", "a\0b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("table must not contain a NUL character");
        assertThatThrownBy(() -> TableName.of("x".repeat(64))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("table must be at most 63 bytes in UTF-8")
                .hasMessageContaining("but was 64 bytes");
        assertThat(TableName.of("x".repeat(63)).table()).hasSize(63);
    }
}
