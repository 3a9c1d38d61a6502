package net.aegirj.provision.services.dns;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A zone file as Provision writes it, and the little it reads back from one: the SOA serial and
 * the records it wrote (each line ends in {@code ; provision:<site uri>}, naming the site that owns
 * it). Lines of any other form are not read, so manual edits of a zone file are lost on the next
 * write; operators who need more records should keep them in a zone of their own.
 *
 * <p>The text comes from the template {@code templates/zone.db} beside {@link Bind} (or the
 * server's {@code <dns_template_dir>/zone.db}) and {@link #model()}; an override must keep the
 * SOA line and the record lines ({@code {{line}}}) in this form, as they are read back.
 *
 * <p>Layout, in this order: a comment, {@code $TTL}, the SOA record (primary name and contact
 * absolute, with the trailing dot upstream Aegir forgot), one NS record, an MX record when
 * {@code dns_default_mx} is set, then the records, sorted (apex first).
 *
 * @param zone the zone name (no trailing dot)
 * @param serial the SOA serial, {@code YYYYMMDDnn}
 * @param header the SOA values and the server's name
 * @param records the records, sorted
 */
public record Zone(String zone, long serial, Header header, List<ZoneRecord> records) {
  private static final Pattern SOA = Pattern.compile("^@ IN SOA \\S+ \\S+ \\( ([0-9]{1,10}) ", Pattern.MULTILINE);
  private static final Pattern RECORD = Pattern.compile(
      "^(@|[a-z0-9.-]+) IN (A|AAAA|CNAME) ([a-z0-9.:-]+) ; provision:([a-z0-9.-]+)$", Pattern.MULTILINE);
  private static final DateTimeFormatter DAY = DateTimeFormatter.BASIC_ISO_DATE;

  /**
   * The part of a zone that comes from the server's properties.
   *
   * @param primary the primary name server (SOA MNAME and NS), absolute, without the dot
   * @param contact the SOA RNAME in zone-file form, absolute, without the final dot
   * @param ttl {@code $TTL}
   * @param refresh SOA refresh
   * @param retry SOA retry
   * @param expire SOA expire
   * @param negativeTtl SOA minimum (negative caching TTL)
   * @param mx the mail exchanger of every zone, without the dot
   */
  public record Header(String primary, String contact, int ttl, int refresh, int retry, int expire, int negativeTtl,
      Optional<String> mx) {}

  /** Sorts and copies the records. */
  public Zone {
    records = List.copyOf(new TreeSet<>(records));
  }

  /**
   * The values of the zone file's template ({@code templates/zone.db} beside {@link Bind}):
   * {@code zone}, {@code serial}, {@code ttl}, {@code primary}, {@code contact}, {@code refresh},
   * {@code retry}, {@code expire}, {@code negative_ttl}, {@code mx} (optional) and
   * {@code records}, each with {@code name}, {@code type}, {@code data}, {@code owner} and
   * {@code line} (the record as Provision reads it back).
   *
   * @return the model
   */
  public Map<String, Object> model() {
    Map<String, Object> m = new HashMap<>();
    m.put("zone", zone);
    m.put("serial", serial);
    m.put("ttl", header.ttl());
    m.put("primary", header.primary());
    m.put("contact", header.contact());
    m.put("refresh", header.refresh());
    m.put("retry", header.retry());
    m.put("expire", header.expire());
    m.put("negative_ttl", header.negativeTtl());
    m.put("mx", header.mx());
    List<Map<String, String>> lines = new ArrayList<>();
    for (ZoneRecord r : records) {
      lines.add(Map.of("name", r.name(), "type", r.type(), "data", r.data(), "owner", r.owner(), "line", r.line()));
    }
    m.put("records", lines);
    return m;
  }

  /**
   * @param text a zone file written by Provision
   * @return its serial, if it has a SOA line in our form
   */
  public static Optional<Long> serialOf(String text) {
    Matcher m = SOA.matcher(text);
    return m.find() ? Optional.of(Long.parseLong(m.group(1))) : Optional.empty();
  }

  /**
   * @param text a zone file written by Provision
   * @return the records it holds in our form, each with its owning site
   */
  public static List<ZoneRecord> recordsOf(String text) {
    List<ZoneRecord> out = new ArrayList<>();
    Matcher m = RECORD.matcher(text);
    while (m.find()) {
      out.add(new ZoneRecord(m.group(1), m.group(2), m.group(3), m.group(4)));
    }
    return out;
  }

  /**
   * The serial for a changed zone: {@code YYYYMMDD00} of today, or one more than the current
   * serial when that is not lower. So a new day starts at {@code 00}, and a hundredth change on
   * one day goes on counting into the next day's numbers instead of failing (the serial only ever
   * increases, which is all secondaries need).
   *
   * @param current the serial in the existing file, if any
   * @param today the local date
   * @return the new serial
   */
  public static long nextSerial(Optional<Long> current, LocalDate today) {
    long base = Long.parseLong(today.format(DAY)) * 100;
    return current.map(c -> Math.max(c + 1, base)).orElse(base);
  }
}
