package dev.bulwark.detectors.integrity;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

import dev.bulwark.config.Field;
import dev.bulwark.config.Type;
import dev.bulwark.config.Validator;
import dev.bulwark.detectors.api.Detector;
import dev.bulwark.detectors.api.DetectorApi;
import dev.bulwark.detectors.api.DetectorContext;
import dev.bulwark.detectors.api.FindingBuilder;
import dev.bulwark.detectors.api.Mitre;
import dev.bulwark.detectors.api.Severity;
import dev.bulwark.detectors.api.TenantDirectory;
import dev.bulwark.schemas.Finding;
import dev.bulwark.schemas.MitreAttack;
import dev.bulwark.schemas.RegistryPolicy;
import dev.bulwark.schemas.RunningContainer;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantContext;

import org.apache.kafka.streams.kstream.KStream;

/**
 * A pod of a tenant uses an image from a registry outside the tenant's allowed list.
 *
 * <p>Why: tenants of a shared cluster are usually held to their own registries (Capsule enforces
 * {@code spec.containerRegistries} at admission); an image from anywhere else is a supply-chain risk, and one that got
 * past admission means the admission control has a gap (a pod created before the rule, a failed-open webhook).
 *
 * <p>The allowed list of a tenant is {@link #ALLOWED}'s entry for it when there is one, else the Capsule
 * {@code Tenant}'s {@code containerRegistries} (its {@code allowed} host names and {@code allowedRegex}) from the tenant
 * context; a tenant with neither is not restricted. Every image of the pod's spec (containers, init and ephemeral
 * containers) is judged by its registry: the first path component when it holds a dot or a colon or is
 * {@code localhost}, else {@code docker.io}, as the container runtimes resolve it. A pod is judged when its record
 * arrives or changes; one whose namespace the tenant directory does not know yet waits for it (see
 * {@link PodTenants}). One finding (high) per pod and image.
 */
public final class DisallowedRegistryDetector implements Detector {

    public static final String RULE_ID = "bulwark.integrity.disallowed_registry";
    private static final MitreAttack MITRE = Mitre.of(List.of("initial-access", "execution"), List.of("T1195.002", "T1610"));

    /** {@code allowed}: per tenant, the registries its images may come from, as {@code tenant=registry} entries. */
    public static final Field<List<String>> ALLOWED = Field.of("allowed", Type.LIST)
            .withDefault(List.of())
            .withValidator(Validator.of((List<String> l) -> l.stream().allMatch(e -> e.indexOf('=') > 0
                    && e.indexOf('=') < e.length() - 1), "tenant=registry entries"))
            .withDoc("The registries (host names, with a port if any) each tenant's pods may pull from, as "
                    + "tenant=registry entries, one per registry: [\"acme=registry.acme.example\", \"acme=docker.io\"]. "
                    + "A tenant listed here is held to these, whatever its Capsule Tenant's containerRegistries say; "
                    + "a tenant in neither is not restricted.");

    @Override
    public String name() {
        return "disallowed-registry";
    }

    @Override
    public String apiVersion() {
        return DetectorApi.VERSION;
    }

    @Override
    public List<Field<?>> settings() {
        return List.of(ALLOWED);
    }

    @Override
    public KStream<String, Finding> build(DetectorContext context) {
        if (context.contextUpdates() == null) {
            throw new IllegalStateException(name() + " needs tenant context; build it with DetectionTopology");
        }
        Map<String, List<String>> configured = new LinkedHashMap<>();
        for (String entry : context.settings().get(ALLOWED)) {
            int equals = entry.indexOf('=');
            configured.computeIfAbsent(entry.substring(0, equals).strip(), t -> new ArrayList<>())
                    .add(entry.substring(equals + 1).strip());
        }
        return context.contextUpdates()
                .filter((key, object) -> RunningImages.isPod(object), context.named("pods"))
                .process(() -> new PodTenants<TenantContext>(context.tenants()::directory, pod -> pod,
                        (pod, tenant, directory) -> findings(pod, tenant, configured, directory, context::finding)),
                        context.named("judge"));
    }

    /** The findings for one pod of {@code tenant}: one per image from a registry the tenant may not use. */
    static List<Finding> findings(TenantContext pod, String tenant, Map<String, List<String>> configured,
                                  TenantDirectory directory, Function<SecurityEvent, FindingBuilder> findings) {
        List<String> allowed;
        String regex = null;
        String source;
        if (configured.containsKey(tenant)) {
            allowed = configured.get(tenant);
            source = "configuration";
        } else {
            TenantContext record = directory.object("tenant", tenant);
            RegistryPolicy policy = record == null ? null : record.getContainerRegistries();
            if (policy == null) {
                return List.of();
            }
            allowed = policy.getAllowed();
            regex = policy.getAllowedRegex();
            source = "Capsule Tenant " + tenant;
        }
        Pattern pattern = regex == null ? null : Pattern.compile(regex);
        List<Finding> out = new ArrayList<>();
        List<String> images = pod.getPodSpec() == null ? List.of() : pod.getPodSpec().getImages();
        for (String reference : images) {
            ImageName image = ImageName.parse(reference);
            if (image == null || allowed.contains(image.registry())
                    || pattern != null && pattern.matcher(image.registry()).find()) {
                continue;
            }
            RunningContainer container = pod.getContainers().stream()
                    .filter(c -> reference.equals(c.getSpecImage())).findFirst()
                    .orElse(RunningContainer.newBuilder().setName("?").setSpecImage(reference).build());
            SecurityEvent event = RunningImages.event(pod, container, image, tenant, "disallowed-registry");
            Map<String, String> evidence = RunningImages.evidence(pod, container, image);
            evidence.put("image.registry", image.registry());
            evidence.put("tenant.allowed_registries", String.join(",", allowed));
            evidence.put("tenant.allowed_regex", regex);
            evidence.put("tenant.allowed_source", source);
            out.add(findings.apply(event).rule(RULE_ID, "Image from a registry the tenant may not use")
                    .severity(Severity.HIGH).mitre(MITRE)
                    .summary("pod " + pod.getKey() + " of tenant " + tenant + " uses " + reference + " from registry "
                            + image.registry() + ", outside the tenant's allowed registries ("
                            + (allowed.isEmpty() ? "none" : String.join(", ", allowed))
                            + (regex == null ? "" : ", or matching " + regex) + "; " + source + ")")
                    .evidence(evidence).identity(pod.getKey(), reference).build());
        }
        return out;
    }
}
