package net.aegirj.provision.services.dns;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
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
   * @return the zone file's text
   */
  public String render() {
    StringBuilder b = new StringBuilder();
    b.append("; zone ").append(zone).append(", written by Provision: edits are overwritten\n");
    b.append("$TTL ").append(header.ttl()).append('\n');
    b.append("@ IN SOA ").append(header.primary()).append(". ").append(header.contact()).append(". ( ")
        .append(serial).append(' ').append(header.refresh()).append(' ').append(header.retry()).append(' ')
        .append(header.expire()).append(' ').append(header.negativeTtl()).append(" )\n");
    b.append("@ IN NS ").append(header.primary()).append(".\n");
    header.mx().ifPresent(mx -> b.append("@ IN MX 10 ").append(mx).append(".\n"));
    for (ZoneRecord r : records) {
      b.append(r.line()).append('\n');
    }
    return b.toString();
  }

  /** @return {@link #render()} as UTF-8 (it is ASCII) */
  public byte[] bytes() {
    return render().getBytes(StandardCharsets.UTF_8);
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
