package dev.bulwark.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/**
 * The Kafka client settings that reach a secured cluster, for one component: TLS ({@code kafka.security.caFile}, and
 * a client certificate for mutual TLS) and a SASL user (SCRAM or PLAIN).
 *
 * <p>Why per component: each component gets its own principal and the smallest set of ACLs it needs
 * ({@link KafkaAcls}), so that an attacker holding one component's credentials reaches only what that component may.
 * A process that runs several components takes each one's user from {@code kafka.security.credentialsFile}; a process
 * of one component can use {@code kafka.security.username} and a password from the environment or a file.
 *
 * <p>Secrets: passwords and keys are read from files or the environment, never from the command line. They go into
 * the client settings Kafka types as passwords ({@code sasl.jaas.config}, {@code ssl.keystore.key}), which Kafka prints
 * as {@code [hidden]}; no message of this class contains one.
 */
final class KafkaSecurity {

    /** The components, each a principal of its own. */
    enum Component {
        INGEST, DETECTORS, SINK, RULES, CONTEXT, API, NOTIFY, ADMIN;

        /** The name in the credentials file and in {@link KafkaAcls}. */
        String key() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private KafkaSecurity() {
    }

    /**
     * Checks the settings at load: files exist and are readable, a SASL protocol has credentials, a client
     * certificate comes with its key.
     *
     * @throws IllegalArgumentException naming the key and what to do, never a secret
     */
    static void check(BulwarkConfig.Security security) {
        if (security.protocol == null) {
            return;
        }
        for (Path file : new Path[] {security.caFile, security.certFile, security.keyFile, security.passwordFile,
                security.credentialsFile}) {
            if (file != null && !Files.isReadable(file)) {
                throw new IllegalArgumentException("kafka.security: cannot read " + file);
            }
        }
        if ((security.certFile == null) != (security.keyFile == null)) {
            throw new IllegalArgumentException("kafka.security.certFile and kafka.security.keyFile go together (mutual TLS)");
        }
        if (sasl(security) && security.credentialsFile == null && security.username == null) {
            throw new IllegalArgumentException("kafka.security.protocol " + security.protocol + " needs a user: set "
                    + "kafka.security.username (BULWARK_KAFKA_USERNAME) with its password, or kafka.security.credentialsFile");
        }
        if (sasl(security) && security.username != null && security.password == null && security.passwordFile == null
                && security.credentialsFile == null) {
            throw new IllegalArgumentException("kafka.security.username needs a password: BULWARK_KAFKA_PASSWORD or "
                    + "kafka.security.passwordFile");
        }
        if (security.credentialsFile != null) {
            credentials(security.credentialsFile); // readable and well-formed
            for (Component component : Component.values()) {
                Path[] identity = certificate(security, component);
                if (identity != null && !(Files.isReadable(identity[0]) && Files.isReadable(identity[1]))) {
                    throw new IllegalArgumentException(security.credentialsFile + ": cannot read the " + component.key()
                            + " certificate or key (" + identity[0] + ", " + identity[1] + ")");
                }
            }
        }
    }

    private static boolean sasl(BulwarkConfig.Security security) {
        return security.protocol != null && security.protocol.startsWith("SASL_");
    }

    /** The client settings for {@code component}; empty for PLAINTEXT. */
    static Map<String, Object> clientSettings(BulwarkConfig.Security security, Component component) {
        Map<String, Object> props = new LinkedHashMap<>();
        if (security.protocol == null || "PLAINTEXT".equals(security.protocol)) {
            return props;
        }
        props.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, security.protocol);
        if (security.protocol.endsWith("SSL")) {
            if (security.caFile != null) {
                props.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "PEM");
                props.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, security.caFile.toString());
            }
            Path[] identity = certificate(security, component);
            if (identity != null) {
                props.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "PEM");
                props.put(SslConfigs.SSL_KEYSTORE_CERTIFICATE_CHAIN_CONFIG, SecretFiles.read(identity[0]));
                props.put(SslConfigs.SSL_KEYSTORE_KEY_CONFIG, SecretFiles.read(identity[1]));
            }
        }
        if (sasl(security)) {
            String[] user = user(security, component);
            props.put(SaslConfigs.SASL_MECHANISM, security.mechanism);
            String module = "PLAIN".equals(security.mechanism)
                    ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                    : "org.apache.kafka.common.security.scram.ScramLoginModule";
            props.put(SaslConfigs.SASL_JAAS_CONFIG, module + " required username=\"" + jaasEscape(user[0])
                    + "\" password=\"" + jaasEscape(user[1]) + "\";");
        }
        return props;
    }

    /**
     * The user name {@code component} connects as (for messages: never the password): the SASL user, else with mutual
     * TLS the common name of its certificate (the principal a broker with
     * {@code ssl.principal.mapping.rules=RULE:^CN=([^,]+)$/$1/,DEFAULT} sees), else null.
     */
    static String principal(BulwarkConfig.Security security, Component component) {
        if (sasl(security)) {
            return user(security, component)[0];
        }
        Path[] identity = security.protocol != null && security.protocol.endsWith("SSL") ? certificate(security, component) : null;
        return identity == null ? null : commonName(identity[0]);
    }

    /** True without SASL, or when {@code component} has credentials (its own entry or the default user). */
    static boolean hasUser(BulwarkConfig.Security security, Component component) {
        if (!sasl(security) || security.username != null) {
            return true;
        }
        return security.credentialsFile != null
                && credentials(security.credentialsFile).getProperty(component.key() + ".username") != null;
    }

    /**
     * {certificate, key} files of {@code component} for mutual TLS: its {@code <component>.certFile} and
     * {@code .keyFile} in the credentials file, else {@code kafka.security.certFile} and {@code keyFile}, else null.
     */
    private static Path[] certificate(BulwarkConfig.Security security, Component component) {
        if (security.credentialsFile != null) {
            Properties credentials = credentials(security.credentialsFile);
            String cert = credentials.getProperty(component.key() + ".certFile");
            String key = credentials.getProperty(component.key() + ".keyFile");
            if (cert != null && key != null) {
                Path base = security.credentialsFile.toAbsolutePath().getParent();
                return new Path[] {base.resolve(cert), base.resolve(key)};
            }
        }
        return security.certFile == null ? null : new Path[] {security.certFile, security.keyFile};
    }

    /** The CN of a PEM certificate's subject, else its whole subject. */
    private static String commonName(Path pem) {
        try (var in = new java.io.ByteArrayInputStream(SecretFiles.read(pem).getBytes(java.nio.charset.StandardCharsets.US_ASCII))) {
            var certificate = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in);
            String subject = certificate.getSubjectX500Principal().getName();
            for (var rdn : new javax.naming.ldap.LdapName(subject).getRdns()) {
                if ("CN".equalsIgnoreCase(rdn.getType())) {
                    return rdn.getValue().toString();
                }
            }
            return subject;
        } catch (java.io.IOException | java.security.cert.CertificateException | javax.naming.InvalidNameException e) {
            throw new IllegalArgumentException("kafka.security: " + pem + " is not a PEM certificate: " + e.getMessage(), e);
        }
    }

    /** {username, password} of a component: its credentials-file entry, else the default user. */
    private static String[] user(BulwarkConfig.Security security, Component component) {
        if (security.credentialsFile != null) {
            Properties credentials = credentials(security.credentialsFile);
            String username = credentials.getProperty(component.key() + ".username");
            String password = credentials.getProperty(component.key() + ".password");
            if (username != null && password != null) {
                return new String[] {username, password};
            }
            if (security.username == null) {
                throw new IllegalArgumentException(security.credentialsFile + " has no " + component.key()
                        + ".username and " + component.key() + ".password, and kafka.security.username is not set");
            }
        }
        String password = security.password != null ? security.password : SecretFiles.firstLine(security.passwordFile);
        return new String[] {security.username, password};
    }

    private static Properties credentials(Path file) {
        Properties properties = SecretFiles.properties(file, "kafka.security.credentialsFile");
        for (String key : properties.stringPropertyNames()) {
            String names = java.util.Arrays.stream(Component.values()).map(Component::key)
                    .collect(java.util.stream.Collectors.joining("|"));
            if (!key.matches("(" + names + ")\\.(username|password|certFile|keyFile)")) {
                throw new IllegalArgumentException(file + ": unknown key '" + key + "' (expected <component>.username "
                        + "and <component>.password, or <component>.certFile and <component>.keyFile for mutual TLS, "
                        + "for " + names.replace("|", ", ") + ")");
            }
        }
        for (Component component : Component.values()) {
            boolean cert = properties.getProperty(component.key() + ".certFile") != null;
            boolean key = properties.getProperty(component.key() + ".keyFile") != null;
            if (cert != key) {
                throw new IllegalArgumentException(file + ": " + component.key() + ".certFile and " + component.key()
                        + ".keyFile go together (mutual TLS)");
            }
        }
        return properties;
    }



    /** Escapes a value for a JAAS option in double quotes. */
    static String jaasEscape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
