@logistics @resilience
Feature: A carrier outage
  The service retries the carrier under the seed's policy (3 attempts, backoff) and then answers a clear
  503 provider-unavailable; nothing is bought twice, and the same request succeeds once the carrier is back.
  A carrier that is down turns /health DOWN through the LogisticsHealthChecker.

  Background:
    Given the shipping lab is running
    And a paid order shipping to "179 N Harbor Dr, Redondo Beach, CA 90277"
    And I asked for shipping quotes

  Scenario: A short outage is retried away
    Given the carrier fails the next 2 label purchases with 503
    When I buy the cheapest quote
    Then the response status is 201
    And the carrier was asked for the label 3 times

  Scenario: A long outage is a clear error, and the retry buys one label
    Given the carrier fails the next 3 label purchases with 503
    When I buy the cheapest quote
    Then the response status is 503
    And the problem type is "provider-unavailable"
    And the response header "Retry-After" is "5"
    And the carrier was asked for the label 3 times
    When I buy the cheapest quote
    Then the response status is 201
    And the carrier sold exactly 1 label for the order

  Scenario: The carrier is down for health checks too
    Given the carrier answers every request with 503
    Then the service health is "DOWN" because of "logistics"
