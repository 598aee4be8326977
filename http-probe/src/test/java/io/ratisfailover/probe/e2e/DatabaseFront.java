package io.ratisfailover.probe.e2e;

import io.ratisfailover.testing.InMemoryDatabase;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What HAProxy routes clients to while the databases live in memory: a TCP port per data member
 * that takes a {@code WRITE} line and answers {@code OK <member>} when its in-memory database
 * accepted the write (it is a read-write primary), {@code READONLY <member>} otherwise. Closing it
 * is the host's network going away.
 */
final class DatabaseFront implements AutoCloseable {
  private final String member;
  private final InMemoryDatabase database;
  private final ServerSocket server;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;

  DatabaseFront(String member, InMemoryDatabase database) {
    this.member = member;
    this.database = database;
    try {
      this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.acceptor = new Thread(this::accept, "db-front-" + member);
    this.acceptor.setDaemon(true);
    this.acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        open.add(s);
        Thread t = new Thread(() -> serve(s), "db-front-" + member + "-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      s.setSoTimeout(5_000);
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      OutputStream out = s.getOutputStream();
      String line;
      while ((line = in.readLine()) != null) {
        String answer = line.equals("WRITE") && database.write(100) ? "OK " + member : "READONLY " + member;
        out.write((answer + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
      }
    } catch (IOException e) {
      // the client or the test went away
    } finally {
      open.remove(s);
    }
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      // already closed
    }
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException e) {
        // already closed
      }
    }
  }
}
