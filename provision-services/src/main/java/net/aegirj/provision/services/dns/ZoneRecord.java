package net.aegirj.provision.services.dns;

import java.util.Comparator;
import java.util.Set;

/**
 * One resource record that Provision keeps in a zone, with the site that owns it.
 *
 * @param name the owner name relative to the zone, or {@code @} for the apex
 * @param type {@code A}, {@code AAAA} or {@code CNAME}
 * @param data the address, or the absolute target of a CNAME (ending in {@code .})
 * @param owner the uri of the site the record belongs to
 */
public record ZoneRecord(String name, String type, String data, String owner) implements Comparable<ZoneRecord> {
  /** The record types Provision writes. */
  static final Set<String> TYPES = Set.of("A", "AAAA", "CNAME");

  private static final Comparator<ZoneRecord> ORDER = Comparator.comparing((ZoneRecord r) -> !r.name.equals("@"))
      .thenComparing(ZoneRecord::name).thenComparing(ZoneRecord::type).thenComparing(ZoneRecord::data)
      .thenComparing(ZoneRecord::owner);

  /** Checks the invariants. */
  public ZoneRecord {
    if (!TYPES.contains(type)) {
      throw new IllegalArgumentException("unsupported record type " + type);
    }
  }

  /** @return the line written to the zone file, with the owning site in a trailing comment */
  String line() {
    return name + " IN " + type + " " + data + " ; provision:" + owner;
  }

  @Override
  public int compareTo(ZoneRecord o) {
    return ORDER.compare(this, o);
  }
}
