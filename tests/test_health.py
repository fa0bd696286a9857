def test_health_answers_ok(client):
    response = client.http.get("/health")
    assert response.status_code == 200
    assert response.json_body == {"status": "ok"}


def test_health_refuses_other_methods(client):
    assert client.http.post("/health").status_code == 405
