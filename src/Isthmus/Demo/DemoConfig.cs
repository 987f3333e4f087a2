namespace Isthmus.Demo;

/// <summary>The bundled example: a simulated OA posts approvals and orders; flows forward what matters to a simulated ERP.</summary>
internal static class DemoConfig
{
    public const string Secret = "demo-oa-secret";

    public static string MainFile(int port, int erpPort, string chatConnection = "") => $$"""
        # Isthmus demo: written by `isthmus demo`. Copy it as a start for your own isthmus.yaml.
        server:
          listen: http://127.0.0.1:{{port}}
        store:
          path: isthmus.db
        deliveries:
          maxAttempts: 4
          baseDelay: 500ms
          maxDelay: 5s
        codeTables:
          decision:
            approved: APPROVED
            rejected: REJECTED
        connections:
          oa:
            kind: webhook
            auth:
              type: hmac-sha256
              secret: ${DEMO_OA_SECRET:-{{Secret}}}
              header: X-Hub-Signature-256
              prefix: "sha256="
            eventId: { header: X-Event-Id }
            eventType: { path: type }
            key: { path: data.id }
            data: { path: data }
          erp:
            kind: http
            baseUrl: http://127.0.0.1:{{erpPort}}
            timeout: 5s
            maxConcurrency: 8
        {{chatConnection}}
        include:
          - flows/*.yaml
        """;

    public const string Flows = """
        flows:
          approval-decided:
            description: Only final decisions reach the ERP; submitted and in-review steps are filtered out.
            trigger: { connection: oa, event: approval.updated }
            onlyOnChange:
              value: data.status
              to: [approved, rejected]
            steps:
              - transform: decision
                value:
                  approvalId: "=data.id"
                  decision: "=lookup('decision', data.status)"
                  decidedBy: "=data.approver"
                  note: "{{ data.title }}: {{ data.status }} by {{ data.approver }}"
              - action: post-decision
                connection: erp
                method: POST
                path: "/api/approvals/{{ data.id }}/decision"
                body: "=steps.decision"
          large-orders:
            description: Orders over 100k from customers with credit A are approved automatically; the rest go to the finance director.
            trigger: { connection: oa, event: order.created }
            when: data.amount != 0
            steps:
              - if: data.amount > 100000 && data.customer.credit == 'A'
                name: auto-approve
                then:
                  - action: approve-order
                    connection: erp
                    method: POST
                    path: /api/orders
                    body: { orderId: "=data.id", amount: "=data.amount", route: auto-approved }
                else:
                  - action: route-to-finance
                    connection: erp
                    method: POST
                    path: /api/orders
                    body: { orderId: "=data.id", amount: "=data.amount", route: finance-director, customer: "=data.customer.name" }
        """;
}
