@security @redis @slow
Feature: 1000 requests per minute per client, shared by every worker
  Two service processes count into the same Redis, so a client gets 1000 requests a minute in total,
  whichever process serves it: the 1001st inside the minute is a 429 with Retry-After.

  # long: make long runs it; make test's scaled-profile e2e test shows the same shared limit with 30
  @long
  Scenario: The 1001st request in a minute is refused across two workers
    Given two service workers sharing Redis
    When one client sends 1000 requests alternating between the workers
    Then every one of them is served
    When the client sends one more request to either worker
    Then the response status is 429
    And the problem type is "rate-limited"
    And the response header "RateLimit-Limit" is "1000"
    And the response header "RateLimit-Remaining" is "0"
    And the response has a "Retry-After" header
    And another client is still served
