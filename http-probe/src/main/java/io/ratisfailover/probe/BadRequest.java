package io.ratisfailover.probe;

/** A request failed validation: carries the answer to send. */
final class BadRequest extends Exception {
  private static final long serialVersionUID = 1L;
  final transient Answer answer;

  BadRequest(Answer answer) {
    super(answer.reason(), null, false, false);
    this.answer = answer;
  }
}
