package net.aegirj.provision.core.host;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Keeps the last {@code keep} characters of a command's output (its standard error tail), or all
 * of it when {@code keep} is {@link Integer#MAX_VALUE}. One thread writes, another reads at the end.
 */
final class TailBuffer extends OutputStream {
  private final int keep;
  private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
  private boolean truncated;

  TailBuffer(int keep) {
    this.keep = keep;
  }

  @Override
  public synchronized void write(int b) {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) {
    buf.write(b, off, len);
    if (keep >= Integer.MAX_VALUE / 8) {
      return;
    }
    // Keep up to 4 bytes per character, so the last `keep` characters survive.
    int max = 4 * keep;
    if (buf.size() > 2 * max) {
      byte[] all = buf.toByteArray();
      buf.reset();
      buf.write(all, all.length - max, max);
      truncated = true;
    }
  }

  /** @return the text kept, marked with a leading {@code …} when its start was cut */
  synchronized String text() {
    String s = buf.toString(StandardCharsets.UTF_8);
    if (s.length() > keep) {
      s = s.substring(s.length() - keep);
      truncated = true;
    }
    return truncated ? "…" + s : s;
  }
}
