package net.aegirj.provision.api;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.immutables.value.Value;

/**
 * The one Immutables style of every value package of Provision: package-private {@code Immutable*}
 * implementations hidden behind the abstract value type, a public nested {@code Builder}, accessors
 * without {@code get}, and {@code with*} copies.
 */
@Target({ElementType.PACKAGE, ElementType.TYPE})
@Retention(RetentionPolicy.CLASS)
@Value.Style(
    typeImmutable = "Immutable*",
    visibility = Value.Style.ImplementationVisibility.PACKAGE,
    builderVisibility = Value.Style.BuilderVisibility.PUBLIC,
    overshadowImplementation = true,
    defaults = @Value.Immutable(copy = true),
    redactedMask = "****")
public @interface ProvisionStyle {}
