package dev.bulwark.detectors.integrity;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.bulwark.schemas.ContainerInfo;
import dev.bulwark.schemas.EventInfo;
import dev.bulwark.schemas.KubernetesInfo;
import dev.bulwark.schemas.RunningContainer;
import dev.bulwark.schemas.SecurityEvent;
import dev.bulwark.schemas.TenantContext;
import dev.bulwark.schemas.TenantInfo;

/**
 * The containers a pod record of the tenant context says are running, one pod record per container, and the synthetic
 * event a finding about one of them is built from.
 *
 * <p>Why: the integrity detectors judge what runs (the kubelet's image id), not what was asked for; the cluster
 * watcher and {@code kubectl get pods -o json} both report it. One record per container lets a detector re-key by
 * image and join what it knows about that image.
 */
final class RunningImages {

    private RunningImages() {
    }

    /** Whether a context update is a live pod. */
    static boolean isPod(TenantContext object) {
        return object != null && "pod".equals(object.getKind()) && object.getNamespace() != null;
    }

    /** The pod once per started container, each copy holding only that container. */
    static List<TenantContext> perContainer(TenantContext pod) {
        List<TenantContext> copies = new ArrayList<>();
        for (RunningContainer container : pod.getContainers()) {
            copies.add(TenantContext.newBuilder(pod).setContainers(List.of(container)).build());
        }
        return copies;
    }

    /** The one container of a {@link #perContainer} copy. */
    static RunningContainer container(TenantContext copy) {
        return copy.getContainers().get(0);
    }

    /** The image a container runs: the status image, else the spec's, with the digest from the image id. */
    static ImageName image(RunningContainer container) {
        ImageName spec = ImageName.parse(container.getSpecImage());
        ImageName status = ImageName.parse(container.getImage());
        ImageName named = spec != null ? spec : status;
        if (named == null) {
            return null;
        }
        return new ImageName(named.registry(), named.repository(), named.tag(),
                container.getDigest() != null ? container.getDigest() : named.digest());
    }

    /**
     * A state event standing for one running container of a pod, for {@code DetectorContext#finding}: the pod's
     * namespace and name, the container and its image, owned by {@code tenant}, at the time the pod record was
     * observed.
     */
    static SecurityEvent event(TenantContext pod, RunningContainer container, ImageName image, String tenant,
                               String action) {
        return SecurityEvent.newBuilder()
                .setId("pod/" + pod.getKey() + "/" + container.getName() + "/" + (image.digest() != null ? image.digest() : image.byTag()))
                .setTimestamp(pod.getObservedAt() * 1_000_000L)
                .setSourceFormat("k8s-objects")
                .setEvent(EventInfo.newBuilder().setKind("state").setCategory(List.of("configuration", "package"))
                        .setType(List.of("info")).setAction(action).build())
                .setKubernetes(KubernetesInfo.newBuilder().setNamespace(pod.getNamespace()).setPod(pod.getName())
                        .setNode(pod.getAttributes().get(dev.bulwark.schemas.KubernetesAttributes.POD_NODE)).build())
                .setContainer(ContainerInfo.newBuilder().setName(container.getName()).setImageName(image.repository())
                        .setImageTag(image.tag()).setImageDigest(image.digest()).build())
                .setTenant(TenantInfo.newBuilder().setOwner(tenant).setOwnerSource("context").build())
                .build();
    }

    /** Evidence every integrity finding carries about the container. */
    static Map<String, String> evidence(TenantContext pod, RunningContainer container, ImageName image) {
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put("pod", pod.getKey());
        evidence.put("container.name", container.getName());
        evidence.put("container.image.spec", container.getSpecImage());
        evidence.put("container.image.id", container.getImageId());
        evidence.put("image.repository", image.repository());
        evidence.put("image.tag", image.tag());
        evidence.put("image.digest", image.digest());
        return evidence;
    }
}
