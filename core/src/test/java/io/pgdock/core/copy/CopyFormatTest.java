package io.pgdock.core.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CopyFormatTest {
    @Test
    void defaults() {
        assertThat(CopyFormat.TEXT.toSqlOptions()).isEqualTo("(FORMAT text)");
        assertThat(CopyFormat.CSV.toSqlOptions()).isEqualTo("(FORMAT csv)");
        assertThat(CopyFormat.TEXT.delimiter()).isEqualTo('\t');
        assertThat(CopyFormat.CSV.delimiter()).isEqualTo(',');
        assertThat(CopyFormat.CSV.isCsv()).isTrue();
        assertThat(CopyFormat.TEXT.header()).isFalse();
        assertThat(CopyFormat.TEXT.nullString()).isEmpty();
    }

    @Test
    void options() {
        CopyFormat format = CopyFormat.CSV.withHeader().withDelimiter(';').withNull("NULL");
        assertThat(format.toSqlOptions()).isEqualTo("(FORMAT csv, HEADER true, DELIMITER E';', NULL E'NULL')");
        assertThat(format.header()).isTrue();
        assertThat(format.nullString()).contains("NULL");
        assertThat(format).isEqualTo(CopyFormat.CSV.withNull("NULL").withDelimiter(';').withHeader())
                .hasSameHashCodeAs(CopyFormat.CSV.withNull("NULL").withDelimiter(';').withHeader());
        assertThat(CopyFormat.TEXT.withDelimiter(',').toSqlOptions()).isEqualTo("(FORMAT text, DELIMITER E',')");
    }

    @Test
    void stringOptionsAreSafeLiterals() {
        assertThat(CopyFormat.CSV.withDelimiter('\'').toSqlOptions()).isEqualTo("(FORMAT csv, DELIMITER E'''')");
        assertThat(CopyFormat.CSV.withNull("a\\'b").toSqlOptions()).isEqualTo("(FORMAT csv, NULL E'a\\\\''b')");
    }

    @Test
    void delimitersTheServerRefusesAreRefused() {
        assertThatThrownBy(() -> CopyFormat.CSV.withDelimiter('\n')).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("delimiter must be a single ASCII character");
        assertThatThrownBy(() -> CopyFormat.CSV.withDelimiter('é')).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("but was \"é\"");
        assertThatThrownBy(() -> CopyFormat.CSV.withDelimiter('"')).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("quote");
        assertThatThrownBy(() -> CopyFormat.TEXT.withDelimiter('\\')).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("in text format");
        assertThatThrownBy(() -> CopyFormat.TEXT.withDelimiter('a')).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("but was \"a\"");
    }

    @Test
    void nullMarkersTheServerRefusesAreRefused() {
        assertThatThrownBy(() -> CopyFormat.CSV.withNull(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("nullString");
        assertThatThrownBy(() -> CopyFormat.CSV.withNull("a\nb")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nullString must not contain a newline");
        assertThatThrownBy(() -> CopyFormat.CSV.withNull("a,b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nullString must not contain the delimiter");
        assertThatThrownBy(() -> CopyFormat.CSV.withNull("a;b").withDelimiter(';'))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nullString must not contain the delimiter \";\"");
    }
}
