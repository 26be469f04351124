"""The kernel around moto: faults by AWS action as boto3 sees them, the journal, and reset."""

from __future__ import annotations

import time

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError

from simulators.testing import RunningSimulator

from .conftest import ACCESS_KEY, REGION, SENDER, Clients


@pytest.mark.parametrize(
    ("status", "code"),
    [(503, "ServiceUnavailable"), (500, "InternalError"), (429, "Throttling"), (400, "Throttling")],
)
def test_a_status_fault_on_publish_is_a_client_error_with_the_aws_code(
    sim: RunningSimulator, aws: Clients, status: int, code: str
) -> None:
    sim.fault({"operation": "Publish"}, {"type": "status", "status": status}, times=1)
    with pytest.raises(ClientError) as err:
        aws.sns.publish(PhoneNumber="+14155550100", Message="hi")
    assert err.value.response["Error"]["Code"] == code
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    aws.sns.publish(PhoneNumber="+14155550100", Message="hi")  # the rule fired once
    assert sim.client.get("aws/sms")["data"][0]["message"] == "hi"


def test_faults_match_the_operation_only(sim: RunningSimulator, aws: Clients) -> None:
    sim.fault({"operation": "SendEmail"}, {"type": "rate_limit", "retry_after": 1})
    aws.ses.verify_email_identity(EmailAddress=SENDER)  # another SES operation goes through
    with pytest.raises(ClientError) as err:
        aws.ses.send_email(
            Source=SENDER,
            Destination={"ToAddresses": ["a@example.com"]},
            Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}},
        )
    assert err.value.response["Error"]["Code"] == "Throttling"
    assert err.value.response["Error"]["Message"] == "Rate exceeded"


def test_an_s3_fault_answers_the_s3_error_shape(sim: RunningSimulator, aws: Clients) -> None:
    aws.s3.create_bucket(Bucket="genai-demo-files")
    sim.fault({"operation": "PutObject"}, {"type": "status", "status": 503})
    with pytest.raises(ClientError) as err:
        aws.s3.put_object(Bucket="genai-demo-files", Key="k", Body=b"x")
    assert err.value.response["Error"]["Code"] == "SlowDown"


def test_botocore_retries_a_5xx_publish(sim: RunningSimulator) -> None:
    """With its retries on (standard mode), boto3 rides out two 503s; the journal shows three calls."""
    sns = boto3.client(
        "sns",
        endpoint_url=sim.url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": 3, "mode": "standard"}),
    )
    sim.fault({"operation": "Publish"}, {"type": "status", "status": 503}, times=2)
    resp = sns.publish(PhoneNumber="+14155550100", Message="third time lucky")
    assert resp["ResponseMetadata"]["RetryAttempts"] == 2
    assert len(sim.client.get("journal", operation="Publish")["data"]) == 3


def test_latency_fault_slows_the_call_down(sim: RunningSimulator, aws: Clients) -> None:
    sim.fault({"operation": "Publish"}, {"type": "latency", "ms": 300})
    t0 = time.perf_counter()
    aws.sns.publish(PhoneNumber="+14155550100", Message="slow")
    assert time.perf_counter() - t0 >= 0.3


def test_reset_fault_is_a_connection_error_for_boto3(sim: RunningSimulator, aws: Clients) -> None:
    sim.fault({"operation": "Publish"}, {"type": "reset"}, times=1)
    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        aws.sns.publish(PhoneNumber="+14155550100", Message="lost")
    assert sim.client.get("journal", status="reset")["data"][0]["operation"] == "Publish"


def test_the_journal_names_account_and_operation_and_masks_credentials(
    sim: RunningSimulator, aws: Clients
) -> None:
    aws.sns.create_topic(Name="journaled")
    [entry] = sim.client.get("journal", operation="CreateTopic")["data"]
    assert entry["account"] == ACCESS_KEY and entry["status"] == 200
    assert entry["headers"]["Authorization"].endswith("****")
    assert "secret" not in str(entry)


def test_reset_clears_moto_state(sim: RunningSimulator, aws: Clients) -> None:
    aws.sns.create_topic(Name="gone-after-reset")
    aws.s3.create_bucket(Bucket="gone-after-reset")
    assert requests.post(sim.control_url + "reset", json={}, timeout=5).status_code == 200
    assert aws.sns.list_topics()["Topics"] == []
    assert aws.s3.list_buckets()["Buckets"] == []
    aws.sns.create_topic(Name="gone-after-moto-reset")
    assert requests.post(sim.url + "/moto-api/reset", timeout=5).status_code == 200
    assert aws.sns.list_topics()["Topics"] == []


def test_s3_put_get_and_presigned_urls(aws: Clients) -> None:
    aws.s3.create_bucket(Bucket="genai-demo-files")
    aws.s3.put_object(
        Bucket="genai-demo-files", Key="invoices/1.pdf", Body=b"%PDF-1.7", ContentType="application/pdf"
    )
    obj = aws.s3.get_object(Bucket="genai-demo-files", Key="invoices/1.pdf")
    assert obj["Body"].read() == b"%PDF-1.7" and obj["ContentType"] == "application/pdf"
    get_url = aws.s3.generate_presigned_url(
        "get_object", Params={"Bucket": "genai-demo-files", "Key": "invoices/1.pdf"}, ExpiresIn=60
    )
    assert requests.get(get_url, timeout=5).content == b"%PDF-1.7"
    put_url = aws.s3.generate_presigned_url(
        "put_object", Params={"Bucket": "genai-demo-files", "Key": "uploads/a.txt"}, ExpiresIn=60
    )
    assert requests.put(put_url, data=b"uploaded", timeout=5).status_code == 200
    assert aws.s3.get_object(Bucket="genai-demo-files", Key="uploads/a.txt")["Body"].read() == b"uploaded"
