package io.pgdock.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgdock.config.ConfigStoreFixture.TestKeys;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The contract's tests of tamper evidence: {@link ConfigPolicy#verifyHistory} on untouched stores. An untouched
 * history verifies whatever its values hold, also after retention and re-encryption; tampering itself is tried in
 * the reliability module.
 *
 * <p>{@link ConfigStoreContract} runs them as its nested class {@code TamperEvidence}, on the stores its subclass
 * makes ({@link #fixture()}). Instances are made by JUnit, one per test; not thread-safe.
 */
public abstract class TamperEvidenceContract extends ConfigStoreTester {
    @Test
    void verifyHistoryOfAnUntouchedStoreIsIntactWhateverItsValuesHold() {
        TestKeys keys = new TestKeys("k1");
        ConfigStore store = newStore(keys);
        store.as("alice").because("first \"quoted\" \u00e9\t\u0001 reason").put("a.text",
                "tab\t nl\n quote\" back\\ ctrl\u0001\u001f del\u007f \u00e9 \ud83d\ude00");
        store.put("a.numbers", Map.of("decimal", new BigDecimal("1.50"), "exp", new BigDecimal("1e2"),
                "big", new BigInteger("123456789012345678901234567890"), "neg", -0.25, "small", new BigDecimal("1e-7")));
        store.put("a.order", Map.of("bb", 1, "a", 2, "\u00e9", 3, "ab", List.of(true, false, Map.of())));
        store.put("a.secret", Map.of("user", "u", "password", Secret.of("hunter2-a"),
                "nested", List.of(1, Map.of("token", Secret.of("hunter2-b"))), "$pgdock_secret", "not an envelope"));
        store.putSecret("a.secret", "hunter2-whole");
        store.parts().patch("a.secret2", Map.of("p", Secret.of("hunter2-c"), "q", 1));
        store.parts().patch("a.secret2", Map.of("q", 2));
        store.put("a.gone", 1);
        store.delete("a.gone");
        store.put("a.gone", 2);
        store.put("b.gone", "x");
        store.delete("b.gone");
        store.inScope("prod").put("a.text", "prod");
        store.inScope("prod/x").put("a.text", "prod/x");
        store.inScope("prodx").put("a.text", "prodx");

        HistoryVerification all = store.policy().verifyHistory("");
        assertThat(all.intact()).as("untouched: %s", all.breaks()).isTrue();
        assertThat(all.firstBreak()).isEmpty();
        assertThat(all.keys()).as("7 keys of the root scope and one in each of 3 other scopes").isEqualTo(10);
        assertThat(all.rows()).as("1+1+1+2+2+3+2 in the root, 1 each elsewhere").isEqualTo(15);
        HistoryVerification prod = store.inScope("prod").policy().verifyHistory("a.");
        assertThat(prod.keys()).as("prod and prod/x, not prodx").isEqualTo(2);
        assertThat(prod.intact()).isTrue();
        assertThat(store.policy().verifyHistory("a.secret").rows()).as("a.secret and a.secret2").isEqualTo(4);
        assertThat(store.policy().verifyHistory("zz.").keys()).isZero();
        assertThatThrownBy(() -> store.policy().verifyHistory("bad prefix"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad prefix");
    }

    @Test
    void retentionAndReencryptKeepTheChainVerifiable() {
        TestKeys keys = new TestKeys("k1");
        ConfigStore store = newStore(ConfigOptions.builder().keys(keys).retention(HistoryRetention.latest(2)).build());
        for (int i = 1; i <= 5; i++) {
            store.put("r.key", Map.of("n", i, "password", Secret.of("hunter2-" + i)));
        }
        store.delete("r.key");
        store.put("r.key", Map.of("n", 7));
        assertThat(store.history("r.key")).as("retention kept two rows").hasSize(2);
        HistoryVerification trimmed = store.policy().verifyHistory("r.");
        assertThat(trimmed.intact()).as("the chain continues from where retention stopped: %s", trimmed.breaks())
                .isTrue();
        assertThat(trimmed.rows()).isEqualTo(2);

        ConfigStore kept = newStore(ConfigOptions.builder().keys(keys).build());
        kept.put("s.key", Map.of("password", Secret.of("hunter2-s1")));
        kept.put("s.key", Map.of("password", Secret.of("hunter2-s2"), "v", 2));
        keys.add("k2").current = "k2";
        assertThat(kept.policy().reencrypt("s.").historyRows()).as("history re-encrypted in place").isPositive();
        HistoryVerification rewrapped = kept.policy().verifyHistory("");
        assertThat(rewrapped.intact()).as("re-encryption changes secrets only, which the chain hashes as"
                + " placeholders: %s", rewrapped.breaks()).isTrue();
        assertThat(rewrapped.rows()).as("2 writes and reencrypt's own").isEqualTo(3);
    }
}
