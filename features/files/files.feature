@files
Feature: Files on S3
  The service stores files in an S3 bucket (the AWS simulator, moto, through boto3): uploads are checked
  against their bytes and their category's size, come back through presigned URLs any HTTP client can
  use, and a failing bucket leaves nothing behind. Paid orders get an invoice and shipped orders a label,
  both stored from the outbox, never inside the request.

  Background:
    Given the files lab is running

  @happy_path
  Scenario: Upload a return document and download it through its presigned URL
    When I upload a PDF of 300000 bytes as "return_documents"
    Then the response status is 201
    And the response satisfies the contract "api/files/file"
    And downloading the file's URL with a plain HTTP client gives the same bytes and checksum
    When I delete the file
    Then the response status is 200
    And the bucket holds no object for the file

  @validation
  Scenario: A file whose bytes are not an allowed type is refused
    When I upload an executable named "invoice.pdf" as "return_documents"
    Then the response status is 415
    And the problem type is "file-type-not-allowed"
    And the bucket holds no object under "return-documents/"

  @validation
  Scenario: A file over its category's size is refused while it streams
    When I upload a PDF of 3000000 bytes as "return_documents"
    Then the response status is 413
    And the problem type is "file-too-large"
    And the bucket holds no object under "return-documents/"

  @resilience
  Scenario: An S3 outage answers "File upload failed" and leaves nothing behind
    Given S3 answers every PutObject with 503
    When I upload a PDF of 5000 bytes as "return_documents"
    Then the response status is 503
    And the problem detail mentions "File upload failed"
    And the bucket holds no object under "return-documents/"

  Scenario: The invoice appears after payment
    Given a paid order shipping to "179 N Harbor Dr, Redondo Beach, CA 90277"
    Then the order soon lists an "invoices" file of type "application/pdf"
    And the order's "invoices" file downloads as a PDF

  Scenario: The label appears after shipping
    Given a paid order shipping to "179 N Harbor Dr, Redondo Beach, CA 90277"
    When I buy the cheapest quote
    Then the response status is 201
    And the order soon lists a "shipping_labels" file of type "image/png"
