package dev.bulwark.cli;

import java.io.PrintStream;
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
            description = {"Tune a rule or detector for one tenant: disable it, or change the severity of its findings. "
                    + "Running detectors apply it to that tenant's findings within seconds; every other tenant is "
                    + "untouched. A changed finding records the override in evidence.fields[\"bulwark.override\"]; "
                    + "a disabled one is not written and is counted in bulwark_detect_overrides_suppressed_total.",
                    "TARGET is a finding's rule.id (a Sigma rule's or correlation's id, or a built-in rule such as "
                            + "bulwark.container.interactive_shell) or a detector name (all its rules); an override "
                            + "of the rule wins over one of its detector."})
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

            @Option(names = "--severity", paramLabel = "S", description = "low, medium, high or critical for the "
                    + "target's findings of this tenant.")
            String severity;

            @Option(names = "--remove", description = "Remove the override (a tombstone): the rule's own behaviour again.")
            boolean remove;
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
            String severity = action.severity == null ? null : Severity.of(action.severity).label();
            Topics topics = Topics.withPrefix(config.kafka.topicPrefix);
            BulwarkRuntime.ensureTopics(config);
            String key = Topics.overrideKey(tenant, target);
            byte[] value = action.remove ? null : SERDE.encode(RuleOverride.newBuilder().setTenant(tenant)
                    .setTarget(target).setDisabled(action.disable).setSeverity(severity)
                    .setUpdatedBy("cli:" + System.getProperty("user.name", "unknown"))
                    .setUpdatedAt(System.currentTimeMillis()).setNote(note).build());
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(new KafkaClients(config)
                    .as(KafkaSecurity.Component.RULES).producer("bulwark-rules"), new StringSerializer(),
                    new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(topics.ruleOverrides().name(), key, value)).get();
            }
            System.out.println((action.remove ? "removed the override of " : "override of ") + target + " for tenant "
                    + tenant + (action.remove ? "" : ": " + describe(action.disable, severity))
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
            out.printf(format, override.getTenant(), override.getTarget(),
                    describe(override.getDisabled(), override.getSeverity()),
                    override.getUpdatedBy() == null ? "-" : override.getUpdatedBy(),
                    override.getUpdatedAt() <= 0 ? "-" : Instant.ofEpochMilli(override.getUpdatedAt()).toString(),
                    override.getNote() == null ? "" : override.getNote());
            shown++;
        }
        out.println(shown + " override(s)");
    }

    private static String describe(boolean disabled, String severity) {
        return disabled ? "disabled" : "severity " + severity;
    }

    /** A rule id or detector name ({@link Topics#isOverrideTarget}). */
    static void checkTarget(String target) {
        if (!Topics.isOverrideTarget(target)) {
            throw new IllegalArgumentException("TARGET must be a rule id or detector name: 1-256 printable characters "
                    + "without spaces or '/'");
        }
    }
}
