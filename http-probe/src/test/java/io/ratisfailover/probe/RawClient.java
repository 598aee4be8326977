package io.ratisfailover.probe;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** A plain socket for what well-behaved clients never send: garbage, trickles, floods. */
final class RawClient implements AutoCloseable {
  private final Socket socket;

  RawClient(int port) {
    this(port, "127.0.0.1");
  }

  /** Connects from {@code source}, a loopback address such as {@code 127.0.0.2}, to stand for another host. */
  RawClient(int port, String source) {
    try {
      socket = new Socket();
      socket.bind(new InetSocketAddress(source, 0));
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(10_000);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  RawClient send(String text) {
    try {
      socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Whether the server still accepts bytes on this connection (false once it closed it). */
  boolean trySend(String text) {
    try {
      send(text);
      return true;
    } catch (UncheckedIOException e) {
      return false;
    }
  }

  /** Everything the server sends until it closes the connection (or 10 s pass: then the test fails). */
  String readUntilClosed() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[4096];
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server did not close the connection within 10 s; got so far: "
          + out.toString(StandardCharsets.ISO_8859_1), e);
    } catch (SocketException e) {
      // a reset after the answer counts as closed
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  /** Reads one response with a Content-Length body. */
  String readResponse() {
    try {
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          throw new AssertionError("connection closed inside a response: " + head);
        }
        head.write(b);
      }
      String headers = head.toString(StandardCharsets.ISO_8859_1);
      int length = 0;
      for (String line : headers.split("\r\n")) {
        if (line.toLowerCase().startsWith("content-length:")) {
          length = Integer.parseInt(line.substring(15).strip());
        }
      }
      byte[] body = in.readNBytes(length);
      return headers + new String(body, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing a test socket: nothing to do
    }
  }
}
