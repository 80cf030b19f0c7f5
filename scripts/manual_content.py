"""Text of the sample user manual (Huadong Precision Machinery ERP roll-out), in Chinese and English.

Written for this project. ``scripts/build_corpus.py`` renders it to PDF.
Each chapter: (title, [sections]); each section: (title, [blocks]); a block is a paragraph string,
a list of steps ("steps", [...]) or a table ("table", [[header...], [row...], ...]).
"""

MANUAL = {
    "zh": {
        "title": "华东精密 ERP 系统用户操作手册",
        "subtitle": "版本 1.2 · 适用于采购、库存与财务模块 · 凤凰项目组编制",
        "chapters": [
            (
                "第1章 登录与账户",
                [
                    (
                        "1.1 首次登录",
                        [
                            "系统地址为 https://erp.huadong.example，请使用 Chrome 或 Edge 浏览器访问。首次登录的初始密码由 IT 服务台通过企业微信发送，有效期 24 小时。",
                            (
                                "steps",
                                [
                                    "打开系统地址，输入工号作为用户名。",
                                    "输入初始密码，点击“登录”。",
                                    "系统提示修改密码，新密码至少 10 位，须包含大写字母、小写字母和数字。",
                                    "绑定手机号，用于接收审批提醒和找回密码。",
                                ],
                            ),
                        ],
                    ),
                    (
                        "1.2 重置密码",
                        [
                            "如果忘记密码，可以在登录页自助重置，无需联系 IT 服务台。连续输错 5 次密码，账户会被锁定 30 分钟。",
                            (
                                "steps",
                                [
                                    "在登录页点击“忘记密码”。",
                                    "输入工号和绑定的手机号，点击“获取验证码”。",
                                    "输入短信验证码后设置新密码，新密码不能与最近 3 次使用过的密码相同。",
                                    "使用新密码重新登录。",
                                ],
                            ),
                            "如果手机号已更换，请在 IT 服务台提交“账户解锁/手机号变更”工单，并由部门经理审批。",
                        ],
                    ),
                ],
            ),
            (
                "第2章 采购申请",
                [
                    (
                        "2.1 创建采购申请",
                        [
                            "采购申请（PR）由需求部门填写，经审批后由采购部转为采购订单。每张采购申请只能包含同一成本中心的物料。",
                            (
                                "steps",
                                [
                                    "进入“采购管理 > 采购申请 > 新建”。",
                                    "选择申请类型：标准采购、紧急采购或服务采购。",
                                    "在明细行输入物料编码、数量和需求日期；非库存物料请选择物料组并填写描述。",
                                    "填写成本中心和项目号，上传报价单或技术协议等附件。",
                                    "点击“提交”，系统按金额自动匹配审批流。",
                                ],
                            ),
                            "紧急采购必须填写紧急原因，月度紧急采购占比超过 15% 时，系统会在月报中提示采购经理。",
                        ],
                    ),
                    (
                        "2.2 审批规则",
                        [
                            "采购申请和采购订单按含税金额分级审批，审批人可在手机端企业微信中处理待办。",
                            (
                                "table",
                                [
                                    ["含税金额（元）", "审批人", "时限"],
                                    ["5,000 以下", "部门经理", "1 个工作日"],
                                    ["5,000 – 50,000", "部门经理 + 采购经理", "2 个工作日"],
                                    ["50,000 – 500,000", "部门经理 + 采购经理 + 财务总监", "3 个工作日"],
                                    ["500,000 以上", "以上各级 + 总经理", "5 个工作日"],
                                ],
                            ),
                            "审批人出差时，可在“个人设置 > 审批代理”中指定代理人，代理期限最长 30 天。",
                        ],
                    ),
                ],
            ),
            (
                "第3章 收货与入库",
                [
                    (
                        "3.1 采购收货",
                        [
                            "仓库依据采购订单收货，不允许无订单收货。实收数量超过订单数量 5% 时系统会阻止过账，需要采购员修改订单。",
                            (
                                "steps",
                                [
                                    "进入“库存管理 > 收货 > 按采购订单收货”。",
                                    "扫描或输入采购订单号，系统带出未收货明细。",
                                    "核对实物后输入实收数量和批次号，需检验的物料自动进入质检库位。",
                                    "点击“过账”，打印收货单并由送货人签字。",
                                ],
                            ),
                        ],
                    ),
                    (
                        "3.2 质检与上架",
                        [
                            "质检合格后，质检员在“质量管理 > 检验批”中做使用决策，物料自动从质检库位转入可用库存。不合格品转入退货区，由采购员发起退货。",
                        ],
                    ),
                ],
            ),
            (
                "第4章 库存盘点",
                [
                    (
                        "4.1 循环盘点",
                        [
                            "A 类物料每月盘点一次，B 类每季度一次，C 类每半年一次。盘点期间该库位冻结出入库。",
                            (
                                "steps",
                                [
                                    "仓库主管在“库存管理 > 盘点 > 创建盘点单”中按库位或物料类别生成盘点单。",
                                    "盘点员使用手持终端扫描库位和物料条码，录入实盘数量。",
                                    "系统生成差异报告，差异率超过 2% 的物料需复盘。",
                                    "仓库主管确认差异原因后提交差异过账，金额超过 1 万元的差异需财务经理审批。",
                                ],
                            ),
                        ],
                    ),
                    (
                        "4.2 年终全面盘点",
                        [
                            "每年 12 月最后一个周末进行全面盘点，期间停止所有收发货。盘点前须完成所有在途单据的过账。",
                        ],
                    ),
                ],
            ),
            (
                "第5章 月末结账",
                [
                    (
                        "5.1 结账步骤",
                        [
                            "财务部在每月第 3 个工作日 18:00 前完成上月结账。结账前各模块须完成以下工作。",
                            (
                                "steps",
                                [
                                    "采购：完成所有已收货采购订单的发票校验。",
                                    "库存：完成所有收发货过账并处理负库存。",
                                    "生产：完成工单报工和工单结算。",
                                    "财务：运行外币评估、折旧和成本分摊，然后关闭过账期间。",
                                ],
                            ),
                            "期间关闭后如需补录凭证，须由财务经理临时开放期间并登记原因。",
                        ],
                    ),
                ],
            ),
        ],
    },
    "en": {
        "title": "Huadong Precision ERP User Manual",
        "subtitle": "Version 1.2 · Procurement, Inventory and Finance · prepared by the Phoenix project team",
        "chapters": [
            (
                "Chapter 1 Sign-in and Accounts",
                [
                    (
                        "1.1 First sign-in",
                        [
                            "The system is at https://erp.huadong.example; use Chrome or Edge. The IT service desk sends your initial password through WeCom; it is valid for 24 hours.",
                            (
                                "steps",
                                [
                                    "Open the system address and enter your employee number as the user name.",
                                    "Enter the initial password and click Sign in.",
                                    "Change the password when prompted: at least 10 characters with upper-case letters, lower-case letters and digits.",
                                    "Register your mobile number for approval reminders and password recovery.",
                                ],
                            ),
                        ],
                    ),
                    (
                        "1.2 Resetting your password",
                        [
                            "If you forget your password you can reset it yourself on the sign-in page, without calling the IT service desk. After 5 wrong passwords in a row the account is locked for 30 minutes.",
                            (
                                "steps",
                                [
                                    "On the sign-in page click Forgot password.",
                                    "Enter your employee number and registered mobile number, then click Send code.",
                                    "Enter the SMS code and set a new password; it must differ from your last 3 passwords.",
                                    "Sign in with the new password.",
                                ],
                            ),
                            "If your mobile number has changed, open an 'Account unlock / mobile change' ticket with the IT service desk; your department manager approves it.",
                        ],
                    ),
                ],
            ),
            (
                "Chapter 2 Purchase Requisitions",
                [
                    (
                        "2.1 Creating a purchase requisition",
                        [
                            "A purchase requisition (PR) is raised by the requesting department and, once approved, converted into a purchase order by Purchasing. One requisition may only hold items of one cost centre.",
                            (
                                "steps",
                                [
                                    "Go to Procurement > Purchase Requisitions > New.",
                                    "Choose the requisition type: standard, urgent or service.",
                                    "Enter material number, quantity and need date on each line; for non-stock items choose a material group and type a description.",
                                    "Fill in the cost centre and project number and attach the quotation or technical agreement.",
                                    "Click Submit; the approval workflow is chosen automatically by amount.",
                                ],
                            ),
                            "Urgent requisitions need a reason. When urgent requisitions exceed 15% of a month's total, the monthly report flags it to the purchasing manager.",
                        ],
                    ),
                    (
                        "2.2 Approval rules",
                        [
                            "Requisitions and purchase orders are approved by gross amount; approvers can act on their to-do list in WeCom on the phone.",
                            (
                                "table",
                                [
                                    ["Gross amount (CNY)", "Approvers", "Time limit"],
                                    ["below 5,000", "Department manager", "1 working day"],
                                    [
                                        "5,000 – 50,000",
                                        "Department manager + purchasing manager",
                                        "2 working days",
                                    ],
                                    [
                                        "50,000 – 500,000",
                                        "Department manager + purchasing manager + CFO",
                                        "3 working days",
                                    ],
                                    ["above 500,000", "All of the above + general manager", "5 working days"],
                                ],
                            ),
                            "Approvers who travel can name a deputy under Personal settings > Approval deputy, for at most 30 days.",
                        ],
                    ),
                ],
            ),
            (
                "Chapter 3 Goods Receipt",
                [
                    (
                        "3.1 Receiving against a purchase order",
                        [
                            "The warehouse receives goods against a purchase order only. If the received quantity exceeds the ordered quantity by more than 5%, posting is blocked and the buyer must change the order.",
                            (
                                "steps",
                                [
                                    "Go to Inventory > Receiving > Receive by purchase order.",
                                    "Scan or type the purchase order number; the open lines appear.",
                                    "Check the goods, enter the received quantity and batch number; items that need inspection go to the QC location automatically.",
                                    "Click Post, print the receipt and have the driver sign it.",
                                ],
                            ),
                        ],
                    ),
                    (
                        "3.2 Inspection and put-away",
                        [
                            "After inspection the inspector records the usage decision under Quality > Inspection lots, and the stock moves from the QC location to unrestricted stock. Rejected goods go to the returns area and the buyer starts a return.",
                        ],
                    ),
                ],
            ),
            (
                "Chapter 4 Stock Counts",
                [
                    (
                        "4.1 Cycle counting",
                        [
                            "A items are counted monthly, B items quarterly and C items every six months. During a count the bin is blocked for goods movements.",
                            (
                                "steps",
                                [
                                    "The warehouse supervisor creates a count document under Inventory > Stock count > Create, by bin or material class.",
                                    "Counters scan bin and material barcodes with the handheld and enter the counted quantity.",
                                    "The system produces a difference report; materials with a difference above 2% are recounted.",
                                    "The supervisor records the reason and posts the differences; differences above CNY 10,000 need the finance manager's approval.",
                                ],
                            ),
                        ],
                    ),
                    (
                        "4.2 Year-end full count",
                        [
                            "The full count takes place on the last weekend of December; all receipts and issues stop. Post every document in transit before the count.",
                        ],
                    ),
                ],
            ),
            (
                "Chapter 5 Month-end Closing",
                [
                    (
                        "5.1 Closing steps",
                        [
                            "Finance closes the previous month by 18:00 on the third working day. Before that each module must finish the following.",
                            (
                                "steps",
                                [
                                    "Procurement: complete invoice verification for all received purchase orders.",
                                    "Inventory: post all receipts and issues and clear negative stock.",
                                    "Production: confirm all work orders and settle them.",
                                    "Finance: run foreign-currency valuation, depreciation and cost allocation, then close the posting period.",
                                ],
                            ),
                            "To post a late document after closing, the finance manager reopens the period temporarily and records the reason.",
                        ],
                    ),
                ],
            ),
        ],
    },
}
