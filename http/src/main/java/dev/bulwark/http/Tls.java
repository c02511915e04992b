package dev.bulwark.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Enumeration;
import java.util.List;

/**
 * The certificate and private key a server presents over HTTPS: a PEM certificate chain and a PEM private key, or a
 * PKCS#12 keystore and its password.
 *
 * <p>Why PEM first: that is what cert-manager, ACME clients and {@code openssl} write, so operators need no conversion
 * step. The JDK reads PEM certificates but not PEM keys, so the key (unencrypted PKCS#8, {@code BEGIN PRIVATE KEY}) is
 * decoded here; other key encodings are refused with the {@code openssl} command that converts them. Both are loaded
 * and checked to belong together when the server starts, so a wrong file fails the start with a message naming the
 * file, never at the first handshake. Errors and {@link #toString()} never show key material or the password.
 *
 * @param certFile PEM certificate chain, the server's certificate first (null with a keystore)
 * @param keyFile PEM private key (null with a keystore)
 * @param keystoreFile PKCS#12 keystore holding one private key entry (null with PEM files)
 * @param keystorePassword the keystore's password (null with PEM files)
 */
public record Tls(Path certFile, Path keyFile, Path keystoreFile, char[] keystorePassword) {

    public Tls {
        boolean pem = certFile != null || keyFile != null;
        boolean keystore = keystoreFile != null;
        if (pem == keystore) {
            throw new IllegalArgumentException("TLS needs either a PEM certificate and key, or a PKCS#12 keystore");
        }
        if (pem && (certFile == null || keyFile == null)) {
            throw new IllegalArgumentException("TLS with PEM files needs both the certificate chain and the private key");
        }
        if (keystore && keystorePassword == null) {
            throw new IllegalArgumentException("a PKCS#12 keystore needs its password");
        }
    }

    /** TLS from a PEM certificate chain and a PEM (PKCS#8) private key. */
    public static Tls pem(Path certFile, Path keyFile) {
        return new Tls(certFile, keyFile, null, null);
    }

    /** TLS from a PKCS#12 keystore. */
    public static Tls keystore(Path keystoreFile, char[] password) {
        return new Tls(null, null, keystoreFile, password);
    }

    /** The key material as an in-memory keystore, checked: one key, its certificate chain, and that they match. */
    Loaded load() throws IOException {
        return keystoreFile != null ? fromKeystore() : fromPem();
    }

    /** A keystore ready for the TLS engine and the password of its key entry. */
    record Loaded(KeyStore keyStore, char[] password) {
        @Override
        public String toString() {
            return "Loaded[keyStore, password=********]";
        }
    }

    private Loaded fromPem() throws IOException {
        List<X509Certificate> chain = certificates(certFile);
        PrivateKey key = privateKey(keyFile);
        requireMatch(key, chain.get(0), "the private key in " + keyFile + " does not belong to the first certificate in "
                + certFile);
        char[] password = randomPassword();
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("server", key, password, chain.toArray(new Certificate[0]));
            return new Loaded(store, password);
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot use the TLS key " + keyFile + " with the certificate " + certFile + ": "
                    + e.getClass().getSimpleName(), e);
        }
    }

    private Loaded fromKeystore() throws IOException {
        KeyStore store;
        try (InputStream in = Files.newInputStream(keystoreFile)) {
            store = KeyStore.getInstance("PKCS12");
            store.load(in, keystorePassword);
        } catch (GeneralSecurityException | IOException e) {
            // A wrong password and a damaged file look alike to the JDK; the message says both, and nothing more.
            throw new IOException("cannot open the TLS keystore " + keystoreFile + " (wrong password, or not PKCS#12)", e);
        }
        try {
            List<String> keys = new ArrayList<>();
            for (Enumeration<String> aliases = store.aliases(); aliases.hasMoreElements(); ) {
                String alias = aliases.nextElement();
                if (store.isKeyEntry(alias)) {
                    keys.add(alias);
                }
            }
            if (keys.size() != 1) {
                throw new IOException("the TLS keystore " + keystoreFile + " must hold exactly one private key, it holds "
                        + keys.size());
            }
            PrivateKey key = (PrivateKey) store.getKey(keys.get(0), keystorePassword);
            Certificate[] chain = store.getCertificateChain(keys.get(0));
            if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate first)) {
                throw new IOException("the private key in " + keystoreFile + " has no certificate");
            }
            requireMatch(key, first, "the private key in " + keystoreFile + " does not belong to its certificate");
            return new Loaded(store, keystorePassword.clone());
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the private key in " + keystoreFile + " (its password must be the "
                    + "keystore's)", e);
        }
    }

    /** Every certificate of a PEM file, in order. */
    static List<X509Certificate> certificates(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            Collection<? extends Certificate> read = CertificateFactory.getInstance("X.509").generateCertificates(in);
            List<X509Certificate> chain = new ArrayList<>();
            for (Certificate certificate : read) {
                chain.add((X509Certificate) certificate);
            }
            if (chain.isEmpty()) {
                throw new IOException("no certificate in " + file);
            }
            return chain;
        } catch (java.security.cert.CertificateException e) {
            throw new IOException("cannot read the TLS certificate chain " + file + ": not PEM X.509 certificates", e);
        }
    }

    /** An unencrypted PKCS#8 private key (RSA or EC) from a PEM file. */
    static PrivateKey privateKey(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.US_ASCII);
        String begin = "-----BEGIN PRIVATE KEY-----";
        String end = "-----END PRIVATE KEY-----";
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        if (from < 0 || to < from) {
            String hint = text.contains("BEGIN RSA PRIVATE KEY") || text.contains("BEGIN EC PRIVATE KEY")
                    || text.contains("BEGIN ENCRYPTED PRIVATE KEY")
                    ? "; convert it with: openssl pkcs8 -topk8 -nocrypt -in <key> -out <key.pem>" : "";
            throw new IOException("the TLS key " + file + " is not an unencrypted PKCS#8 PEM key (BEGIN PRIVATE KEY)"
                    + hint);
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
        } catch (IllegalArgumentException e) {
            throw new IOException("the TLS key " + file + " is not valid base64 between its PEM markers");
        }
        try {
            for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
                try {
                    return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
                } catch (InvalidKeySpecException wrongAlgorithm) {
                    // try the next one
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot decode the TLS key " + file + ": " + e.getClass().getSimpleName());
        } finally {
            Arrays.fill(der, (byte) 0);
        }
        throw new IOException("the TLS key " + file + " is neither an RSA nor an EC key");
    }

    /** Signs a nonce with the key and verifies it with the certificate: they belong together, whatever the algorithm. */
    private static void requireMatch(PrivateKey key, X509Certificate certificate, String problem) throws IOException {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm();
        };
        try {
            byte[] nonce = new byte[32];
            new SecureRandom().nextBytes(nonce);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(nonce);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(nonce);
            if (!verifier.verify(signature)) {
                throw new IOException(problem);
            }
        } catch (GeneralSecurityException e) {
            throw new IOException(problem, e);
        }
    }

    private static char[] randomPassword() {
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        return Base64.getEncoder().encodeToString(random).toCharArray();
    }

    @Override
    public String toString() {
        return keystoreFile != null ? "Tls[keystore=" + keystoreFile + ", password=********]"
                : "Tls[cert=" + certFile + ", key=" + keyFile + "]";
    }
}
