@security
Feature: Only valid tokens from the configured issuer are accepted
  Every refused token is a 401 problem+json with an RFC 6750 challenge naming invalid_token, and the
  service says why (expired, signature, issuer, audience, algorithm) without echoing the token.

  Background:
    Given the service is running

  Scenario: No credential at all
    Given I send no credentials
    When I send a GET request to "/api/v1/orders"
    Then the response status is 401
    And the problem type is "unauthorized"
    And the challenge is a bare Bearer challenge

  Scenario Outline: A bad token is refused
    Given I present a token that is <defect>
    When I send a GET request to "/api/v1/orders"
    Then the response status is 401
    And the problem type is "unauthorized"
    And the challenge has the error "invalid_token"
    And the problem detail mentions "<reason>"

    Examples:
      | defect              | reason                         |
      | expired             | token expired                  |
      | tampered            | signature verification failed  |
      | from another issuer | token from another issuer      |
      | for another API     | token is not meant for this API |
      | unsigned (alg none) | signing algorithm not allowed  |
      | signed with HS256   | signing algorithm not allowed  |

  Scenario: A revoked API key is refused
    Given I use a new API key with the role "support"
    When I send a GET request to "/api/v1/orders"
    Then the response status is 200
    Given the API key has been revoked
    When I send a GET request to "/api/v1/orders"
    Then the response status is 401
    And the problem detail mentions "revoked"
