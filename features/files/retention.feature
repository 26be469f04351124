@files
Feature: Data retention and the right to erasure
  Each data class is kept as long as its setting says and cleaned by the retention run, in batches,
  not a second before; webhook ids outlive the providers' 3-day retry window. A customer may have their
  personal data erased: their orders stay (amounts, statuses), without contact or address, and their files
  are gone. The service runs in-process on a clock the scenario moves.

  Background:
    Given the service runs on a clock the scenario moves

  Scenario: Retention cleans old data at its age
    Given a webhook id, an idempotency key and a published event recorded now
    When the clock moves on 23 hours
    And retention runs
    Then retention cleaned 0 "idempotency_keys" rows
    When the clock moves on 2 hours
    And retention runs
    Then retention cleaned 1 "idempotency_keys" rows
    And retention cleaned 0 "webhook_inbox" rows
    When the clock moves on 7 days
    And retention runs
    Then retention cleaned 1 "outbox_sent" rows
    And the webhook id is still known
    When the clock moves on 30 days
    And retention runs
    Then retention cleaned 1 "webhook_inbox" rows
    And every run was audited

  Scenario: A customer's personal data is erased on request
    Given customer "cus_ada" paid an order with her contact and address and uploaded a return document
    When customer "cus_ada" asks to erase her personal data
    Then the erasure reports 1 order anonymised and 2 files deleted
    And no table holds her name, email, phone or street, even encrypted
    And the store holds no object of hers
    And her order still shows its amount
