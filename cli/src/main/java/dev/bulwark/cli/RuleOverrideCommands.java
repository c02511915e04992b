package dev.bulwark.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import dev.bulwark.detectors.api.Severity;
import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.RuleOverride;
import dev.bulwark.schemas.Topics;
import dev.bulwark.sink.TenantNames;

/**
 * {@code bulwark rules override} and {@code bulwark rules overrides}: per-tenant tuning of a rule or detector on the
 * compacted rule-overrides topic, which every detector instance applies to that tenant's findings within seconds.
 */
final class RuleOverrideCommands {

    private static final AvroSerde<RuleOverride> SERDE = AvroSerde.of(RuleOverride.class);

    private RuleOverrideCommands() {
    }

    /** {@code bulwark rules override TARGET --tenant T ...}. */
    @Command(name = "override", mixinStandardHelpOptions = true,
            description = {"Tune a rule or detector for one tenant: disable it; or change the severity of its findings, "
                    + "add an exception (a Sigma filter document: the tenant's matches must also satisfy its condition, "
                    + "say 'not healthcheck'), or set a correlation's threshold, in any combination. Running detectors "
                    + "apply it to that tenant within seconds; every other tenant is untouched. A changed finding "
                    + "records the override in evidence.fields[\"bulwark.override\"]; a disabled finding is counted in "
                    + "bulwark_detect_overrides_suppressed_total, a match an exception drops in "
                    + "bulwark_detect_sigma_excepted_total.",
                    "TARGET is a finding's rule.id (a Sigma rule's or correlation's id, or a built-in rule such as "
                            + "bulwark.container.interactive_shell) or a detector name (all its rules); an override "
                            + "of the rule wins over one of its detector. An override is one record per tenant and "
                            + "target: a new one replaces it whole, so give everything it should do in one command.",
                    "Exceptions apply to Sigma rules, correlations and the sigma detector; thresholds to correlations."})
    static final class SetOverride implements Callable<Integer> {

        @ParentCommand
        RulesCommand rules;

        @Parameters(paramLabel = "TARGET", description = "Rule id or detector name.")
        String target;

        @Option(names = "--tenant", required = true, description = "The tenant whose findings it changes.")
        String tenant;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Action action;

        static final class Action {
            @Option(names = "--disable", description = "Write none of the target's findings of this tenant.")
            boolean disable;

            @Option(names = "--remove", description = "Remove the override (a tombstone): the rule's own behaviour again.")
            boolean remove;

            @ArgGroup(exclusive = false, multiplicity = "1")
            Tune tune;
        }

        static final class Tune {
            @Option(names = "--severity", paramLabel = "S", required = false, description = "low, medium, high or "
                    + "critical for the target's findings of this tenant.")
            String severity;

            @Option(names = "--exception", paramLabel = "FILE", required = false, description = "A Sigma filter "
                    + "document (title, logsource, filter: rules, selections, condition) this tenant's matches of the "
                    + "rules it names must also satisfy.")
            Path exception;

            @Option(names = "--threshold", paramLabel = "N", required = false, description = "For a correlation: the "
                    + "count this tenant's groups must reach, instead of its own gte (or gt) bound.")
            Long threshold;
        }

        @Option(names = "--note", description = "Why, recorded with the override and on the findings it changes.")
        String note;

        @Override
        public Integer call() throws Exception {
            BulwarkConfig config = rules.parent.config();
            TenantNames.require(tenant);
            checkTarget(target);
            if (note != null && note.length() > Topics.MAX_OVERRIDE_NOTE) {
                throw new IllegalArgumentException("--note holds at most " + Topics.MAX_OVERRIDE_NOTE + " characters");
            }
            Tune tune = action.tune == null ? new Tune() : action.tune;
            if (!action.disable && !action.remove && tune.severity == null && tune.exception == null
                    && tune.threshold == null) {
                throw new IllegalArgumentException("give --disable, --remove, or any of --severity, --exception and "
                        + "--threshold");
            }
            String severity = tune.severity == null ? null : Severity.of(tune.severity).label();
            String exception = null;
            if (tune.exception != null) {
                if (Files.size(tune.exception) > Topics.MAX_OVERRIDE_EXCEPTION) {
                    throw new IllegalArgumentException(tune.exception + " is larger than an exception may be ("
                            + Topics.MAX_OVERRIDE_EXCEPTION + " characters)");
                }
                exception = Files.readString(tune.exception);
            }
            RuleOverride override = RuleOverride.newBuilder().setTenant(tenant).setTarget(target)
                    .setDisabled(action.disable).setSeverity(severity).setException(exception)
                    .setThreshold(tune.threshold).setUpdatedBy("cli:" + System.getProperty("user.name", "unknown"))
                    .setUpdatedAt(System.currentTimeMillis()).setNote(note).build();
            if (!action.remove) {
                OverrideChecks.check(RulesCommand.engine(config), override);
            }
            Topics topics = Topics.withPrefix(config.kafka.topicPrefix);
            BulwarkRuntime.ensureTopics(config);
            String key = Topics.overrideKey(tenant, target);
            byte[] value = action.remove ? null : SERDE.encode(override);
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(new KafkaClients(config)
                    .as(KafkaSecurity.Component.RULES).producer("bulwark-rules"), new StringSerializer(),
                    new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(topics.ruleOverrides().name(), key, value)).get();
            }
            System.out.println((action.remove ? "removed the override of " : "override of ") + target + " for tenant "
                    + tenant + (action.remove ? "" : ": " + describe(override))
                    + "; running detectors apply it within seconds");
            return 0;
        }
    }

    /** {@code bulwark rules overrides [--tenant T]}. */
    @Command(name = "overrides", mixinStandardHelpOptions = true,
            description = "List the per-tenant overrides on the rule-overrides topic: tenant, target, what it does, "
                    + "who set it and when, and why.")
    static final class ListOverrides implements Callable<Integer> {

        @ParentCommand
        RulesCommand rules;

        @Option(names = "--tenant", description = "Only this tenant's overrides.")
        String tenant;

        @Override
        public Integer call() throws Exception {
            BulwarkConfig config = rules.parent.config();
            if (tenant != null) {
                TenantNames.require(tenant);
            }
            Topics topics = Topics.withPrefix(config.kafka.topicPrefix);
            Map<String, ConsumerRecord<String, byte[]>> records = RulesCommand.readCompacted(config,
                    topics.ruleOverrides().name(), new ByteArrayDeserializer());
            print(records, tenant, System.out);
            return 0;
        }
    }

    static void print(Map<String, ConsumerRecord<String, byte[]>> records, String tenant, PrintStream out) {
        String format = "%-16s %-44s %-16s %-22s %-24s %s%n";
        out.printf(format, "TENANT", "TARGET", "ACTION", "BY", "AT", "NOTE");
        int shown = 0;
        for (ConsumerRecord<String, byte[]> record : records.values()) {
            RuleOverride override;
            try {
                override = SERDE.decode(record.value());
            } catch (RuntimeException e) {
                out.printf("%s: unreadable (%s); the detectors do not apply it%n", record.key(), e.getMessage());
                continue;
            }
            if (tenant != null && !tenant.equals(override.getTenant())) {
                continue;
            }
            out.printf(format, override.getTenant(), override.getTarget(), describe(override),
                    override.getUpdatedBy() == null ? "-" : override.getUpdatedBy(),
                    override.getUpdatedAt() <= 0 ? "-" : Instant.ofEpochMilli(override.getUpdatedAt()).toString(),
                    override.getNote() == null ? "" : override.getNote());
            shown++;
        }
        out.println(shown + " override(s)");
    }

    /** What an override does, in a few words: {@code disabled}, or its severity, exception and threshold. */
    static String describe(RuleOverride override) {
        if (override.getDisabled()) {
            return "disabled";
        }
        java.util.List<String> parts = new java.util.ArrayList<>();
        if (override.getSeverity() != null) {
            parts.add("severity " + override.getSeverity());
        }
        if (override.getException() != null) {
            parts.add("exception");
        }
        if (override.getThreshold() != null) {
            parts.add("threshold " + override.getThreshold());
        }
        return String.join(", ", parts);
    }

    /** A rule id or detector name ({@link Topics#isOverrideTarget}). */
    static void checkTarget(String target) {
        if (!Topics.isOverrideTarget(target)) {
            throw new IllegalArgumentException("TARGET must be a rule id or detector name: 1-256 printable characters "
                    + "without spaces or '/'");
        }
    }
}
