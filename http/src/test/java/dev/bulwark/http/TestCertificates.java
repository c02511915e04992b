package dev.bulwark.http;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away certificate authority and a server certificate it signed for {@code 127.0.0.1} and {@code localhost},
 * made with the JDK's {@code keytool} (no other tool or library), in PEM files and in a PKCS#12 keystore; and a TLS
 * client context that trusts that authority only.
 *
 * <p>Why a CA and not a self-signed server certificate: that is what a deployment has, and a client that trusts the CA
 * must still check the chain the server presents.
 */
public final class TestCertificates {

    public static final String KEYSTORE_PASSWORD = "test-keystore-password";

    private final Path dir;
    private final X509Certificate ca;

    private TestCertificates(Path dir, X509Certificate ca) {
        this.dir = dir;
        this.ca = ca;
    }

    /** Makes the CA, the server key and its certificate in {@code dir}; {@code keyAlgorithm} is RSA or EC. */
    public static TestCertificates create(Path dir, String keyAlgorithm) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path ca = dir.resolve("ca.p12");
        Path server = dir.resolve("server.p12");
        List<String> keyOptions = "EC".equals(keyAlgorithm) ? List.of("-keyalg", "EC", "-groupname", "secp256r1")
                : List.of("-keyalg", "RSA", "-keysize", "2048");
        keytool(concat(List.of("-genkeypair", "-alias", "ca", "-dname", "CN=Bulwark test CA", "-ext", "bc:c",
                "-validity", "2", "-keystore", ca.toString()), keyOptions));
        keytool(concat(List.of("-genkeypair", "-alias", "server", "-dname", "CN=localhost", "-validity", "2",
                "-keystore", server.toString()), keyOptions));
        Path request = dir.resolve("server.csr");
        Path signed = dir.resolve("server-signed.pem");
        Path caPem = dir.resolve("ca.pem");
        keytool(List.of("-certreq", "-alias", "server", "-keystore", server.toString(), "-file", request.toString()));
        keytool(List.of("-gencert", "-alias", "ca", "-keystore", ca.toString(), "-infile", request.toString(),
                "-outfile", signed.toString(), "-rfc", "-validity", "2",
                "-ext", "san=ip:127.0.0.1,dns:localhost", "-ext", "eku=serverAuth"));
        keytool(List.of("-exportcert", "-alias", "ca", "-keystore", ca.toString(), "-rfc", "-file", caPem.toString()));
        // The server keystore must know the CA before it takes the chain the CA signed.
        keytool(List.of("-importcert", "-noprompt", "-alias", "ca", "-keystore", server.toString(),
                "-file", caPem.toString()));
        keytool(List.of("-importcert", "-alias", "server", "-keystore", server.toString(), "-file", signed.toString()));

        try (InputStream in = Files.newInputStream(server)) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, KEYSTORE_PASSWORD.toCharArray());
            PrivateKey key = (PrivateKey) store.getKey("server", KEYSTORE_PASSWORD.toCharArray());
            StringBuilder chain = new StringBuilder();
            for (Certificate certificate : store.getCertificateChain("server")) {
                chain.append(pem("CERTIFICATE", certificate.getEncoded()));
            }
            Files.writeString(dir.resolve("server-chain.pem"), chain, StandardCharsets.US_ASCII);
            Files.writeString(dir.resolve("server-key.pem"), pem("PRIVATE KEY", key.getEncoded()),
                    StandardCharsets.US_ASCII);
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
        // The server keystore holds the CA's certificate as a trusted entry beside the key; a deployment's has the
        // key alone, which is what the keystore test must see.
        keytool(List.of("-delete", "-alias", "ca", "-keystore", server.toString()));
        try (InputStream in = Files.newInputStream(caPem)) {
            return new TestCertificates(dir,
                    (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
        } catch (GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    /** The server's certificate chain, PEM, server first. */
    public Path chainPem() {
        return dir.resolve("server-chain.pem");
    }

    /** The server's private key, PEM PKCS#8. */
    public Path keyPem() {
        return dir.resolve("server-key.pem");
    }

    /** The server's key and chain in a PKCS#12 keystore with {@link #KEYSTORE_PASSWORD}. */
    public Path keystore() {
        return dir.resolve("server.p12");
    }

    /** TLS settings from the PEM files. */
    public Tls pemTls() {
        return Tls.pem(chainPem(), keyPem());
    }

    /** A client context that trusts the test CA and nothing else. */
    public SSLContext clientContext() throws GeneralSecurityException, IOException {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", ca);
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static void keytool(List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(args);
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", KEYSTORE_PASSWORD));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IOException("keytool " + args.get(0) + " failed: " + output);
        }
    }
}
