package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The contract's tests of scopes: {@link ConfigStore#inScope inScope} layers with fallback to their parents. Reads
 * that fall back and {@code explain} which layer answered, writes to the bound scope only, merged lists, history per
 * scope, and bad scopes.
 *
 * <p>{@link ConfigStoreContract} runs them as its nested class {@code Scopes}, on the stores its subclass makes
 * ({@link #fixture()}). Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class ScopesContract extends ConfigStoreTester {
    @Test
    void scopedReadsFallBackToTheParentsAndExplainSaysWhichAnswered() {
        ConfigStore root = newStore();
        root.put("ingest.batch_size", 1000);
        root.put("ingest.mode", "safe");
        root.inScope("prod").put("ingest.batch_size", 5000);
        ConfigStore ingest = root.inScope("prod/ingest");

        assertThat(ingest.scope()).isEqualTo("prod/ingest");
        assertThat(ingest.get("ingest.batch_size", Integer.class)).as("from \"prod\"").contains(5000);
        assertThat(ingest.get("ingest.mode", String.class)).as("from the root").contains("safe");
        assertThat(ingest.entry("ingest.batch_size").orElseThrow().scope()).isEqualTo("prod");
        assertThat(root.get("ingest.batch_size", Integer.class)).as("the root's own value").contains(1000);
        assertThat(root.inScope("dev").get("ingest.batch_size", Integer.class)).as("a sibling scope").contains(1000);

        ConfigExplanation explained = ingest.policy().explain("ingest.batch_size");
        assertThat(explained.key()).isEqualTo("ingest.batch_size");
        assertThat(explained.consulted()).containsExactly("prod/ingest", "prod", "");
        assertThat(explained.answeredBy()).contains("prod");
        assertThat(explained.entry().map(e -> e.value().intValue())).contains(5000);
        assertThat(explained.toString()).contains("ingest.batch_size").contains("prod");

        assertThat(ingest.policy().explain("ingest.mode").answeredBy()).contains("");
        ConfigExplanation missing = ingest.policy().explain("ingest.none");
        assertThat(missing.answeredBy()).isEmpty();
        assertThat(missing.entry()).isEmpty();
        assertThat(missing.consulted()).containsExactly("prod/ingest", "prod", "");
        assertThat(root.policy().explain("ingest.mode").consulted()).containsExactly("");
    }

    @Test
    void writesGoToTheBoundScopeOnly() {
        ConfigStore root = newStore();
        root.put("ingest.batch_size", 1000);
        ConfigStore ingest = root.inScope("prod/ingest");

        ConfigEntry e = ingest.put("ingest.batch_size", 7000);

        assertThat(e.scope()).isEqualTo("prod/ingest");
        assertThat(e.version()).as("versions count per scope").isEqualTo(1);
        assertThat(root.get("ingest.batch_size", Integer.class)).as("the root after a scoped write").contains(1000);
        assertThat(root.inScope("prod").policy().explain("ingest.batch_size").answeredBy()).contains("");
        assertThat(ingest.get("ingest.batch_size", Integer.class)).contains(7000);

        assertThat(ingest.put("ingest.only_here", 1, 0).version()).as("CAS create in a scope").isEqualTo(1);
        assertThat(root.get("ingest.only_here")).isEmpty();
        assertThat(ingest.inScope("prod").put("ingest.batch_size", 5000, 0).version())
                .as("CAS create in \"prod\" although the root and \"prod/ingest\" have the key").isEqualTo(1);

        assertThat(ingest.delete("ingest.mode")).as("deleting a key no scope has").isFalse();
        root.put("ingest.mode", "safe");
        assertThat(ingest.delete("ingest.mode")).as("delete never reaches a parent scope").isFalse();
        assertThat(ingest.get("ingest.mode", String.class)).contains("safe");
        assertThat(ingest.delete("ingest.batch_size")).isTrue();
        assertThat(ingest.get("ingest.batch_size", Integer.class)).as("after deleting the scoped value")
                .contains(5000);
    }

    @Test
    void listMergesTheLayersMostSpecificFirst() {
        ConfigStore root = newStore();
        ConfigStore prod = root.inScope("prod");
        ConfigStore ingest = root.inScope("prod/ingest");
        root.put("k1", "root");
        root.put("k2", "root");
        root.put("k3", "root");
        prod.put("k2", "prod");
        prod.put("k4", "prod");
        ingest.put("k3", "ingest");
        ingest.put("k5", "ingest");
        root.inScope("dev").put("k6", "dev");

        assertThat(ingest.list("")).extracting(e -> e.key() + "=" + e.value().asText() + "@" + e.scope())
                .containsExactly("k1=root@", "k2=prod@prod", "k3=ingest@prod/ingest", "k4=prod@prod",
                        "k5=ingest@prod/ingest");
        assertThat(prod.list("")).extracting(e -> e.key() + "=" + e.value().asText())
                .containsExactly("k1=root", "k2=prod", "k3=root", "k4=prod");
        assertThat(root.list("")).extracting(ConfigEntry::key).containsExactly("k1", "k2", "k3");

        ConfigPage first = ingest.list("k", null, 2);
        ConfigPage second = ingest.list("k", first.nextAfter(), 2);
        ConfigPage third = ingest.list("k", second.nextAfter(), 2);
        assertThat(first.entries()).extracting(ConfigEntry::scope).containsExactly("", "prod");
        assertThat(second.entries()).extracting(ConfigEntry::scope).containsExactly("prod/ingest", "prod");
        assertThat(third.entries()).extracting(ConfigEntry::key).containsExactly("k5");
        assertThat(third.nextAfter()).isNull();
    }

    @Test
    void historyAndRollbackBelongToOneScope() {
        ConfigStore root = newStore();
        ConfigStore prod = root.inScope("prod");
        root.put("ingest.batch_size", 1);
        prod.put("ingest.batch_size", 10);
        prod.put("ingest.batch_size", 20);

        assertThat(prod.history("ingest.batch_size")).extracting(ConfigChange::scope).containsOnly("prod");
        assertThat(prod.history("ingest.batch_size")).hasSize(2);
        assertThat(root.history("ingest.batch_size")).hasSize(1);
        assertThat(root.inScope("prod/ingest").history("ingest.batch_size")).as("history does not fall back")
                .isEmpty();

        ConfigEntry back = prod.rollback("ingest.batch_size", 1);
        assertThat(back.scope()).isEqualTo("prod");
        assertThat(back.value().intValue()).as("prod's version 1, not the root's").isEqualTo(10);
        assertThat(root.get("ingest.batch_size", Integer.class)).contains(1);
    }

    @Test
    void badScopesAreRefusedShowingTheScope() {
        ConfigStore store = newStore();

        for (String scope : List.of("prod//ingest", "/prod", "prod/", "/", "prod ingest", "prod/ingest*",
                "s".repeat(257))) {
            assertThatThrownBy(() -> store.inScope(scope))
                    .as("inScope(%s)", scope)
                    .isInstanceOf(InvalidConfigException.class)
                    .hasMessageContaining(scope.substring(0, Math.min(scope.length(), 50)));
        }
        assertThatThrownBy(() -> store.inScope(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("scope");
        assertThat(store.inScope("a.b-c_d:e/F9").scope()).isEqualTo("a.b-c_d:e/F9");
        assertThat(store.inScope("s".repeat(256)).scope()).hasSize(256);
        assertThat(store.inScope("prod").inScope("").scope()).as("inScope names a scope, not a child").isEmpty();
        assertThat(store.inScope("prod").inScope("dev").scope()).isEqualTo("dev");
    }
}
