package io.pgdock.core;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * Checks a password against a PostgreSQL SCRAM-SHA-256 verifier ({@code SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:
 * <ServerKey>}, RFC 5802/7677), so provisioning can tell whether a role already has the password it would set.
 */
final class ScramVerifier {
    private static final Pattern FORMAT = Pattern.compile("SCRAM-SHA-256\\$(\\d+):([^$]+)\\$([^:]+):(.+)");

    private ScramVerifier() {
    }

    /**
     * True if {@code verifier} is a SCRAM-SHA-256 verifier of {@code password}. False for null, other formats, or a
     * different password. Passwords are not SASLprep-normalised here: a non-ASCII password may fail to match, which only
     * means it is set again.
     */
    static boolean matches(@Nullable String verifier, String password) {
        if (verifier == null) {
            return false;
        }
        Matcher m = FORMAT.matcher(verifier);
        if (!m.matches()) {
            return false;
        }
        try {
            int iterations = Integer.parseInt(m.group(1));
            byte[] salt = Base64.getDecoder().decode(m.group(2));
            byte[] storedKey = Base64.getDecoder().decode(m.group(3));
            byte[] serverKey = Base64.getDecoder().decode(m.group(4));
            byte[] salted = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, 256)).getEncoded();
            byte[] clientKey = hmac(salted, "Client Key");
            // Both keys are compared whatever the first says, so the time taken does not tell which one differed.
            boolean clientKeyMatches = MessageDigest.isEqual(MessageDigest.getInstance("SHA-256").digest(clientKey),
                    storedKey);
            boolean serverKeyMatches = MessageDigest.isEqual(hmac(salted, "Server Key"), serverKey);
            return clientKeyMatches && serverKeyMatches;
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            return false;
        }
    }

    private static byte[] hmac(byte[] key, String message) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
    }
}
