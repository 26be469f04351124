@security
Feature: The admin routes need the admin role
  Operators' routes (API keys, the audit trail, events, SMS circuits) are refused with 403 and an
  insufficient_scope challenge to every other role.

  Background:
    Given the service is running

  Scenario Outline: Another role is refused
    Given I am signed in as "<role>"
    When I send a GET request to "/api/v1/admin/api-keys"
    Then the response status is 403
    And the problem type is "forbidden"
    And the response field "permission" is "api-keys:manage"
    And the challenge has the error "insufficient_scope"
    When I send a GET request to "/api/v1/admin/audit"
    Then the response status is 403

    Examples:
      | role     |
      | customer |
      | support  |
      | service  |

  Scenario: An admin is served, and the refusals are in the audit trail
    Given I am signed in as "customer"
    When I send a GET request to "/api/v1/admin/audit"
    Then the response status is 403
    Given I am signed in as "admin"
    When I send a GET request to "/api/v1/admin/audit?outcome=denied&limit=5"
    Then the response status is 200
    And the response field "data[0].action" is "listAuditEntries"
    And the response field "data[0].outcome" is "denied"
