# The Windows PowerShell 5.1 gate: every generated script must parse, use only 5.1 syntax,
# be UTF-8 with BOM and CRLF, call no aliases and define functions with approved verbs only.

BeforeDiscovery {
    . (Join-Path $PSScriptRoot 'SimulatedWindows.ps1')
    $inventories = @(
        (Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot '../../examples/inventory.yaml')),
        @'
defaults: {start: logon, install_dir: 'D:\Tools\Wsl Port Proxy', recheck_every: 0, podman_machine: false}
servers:
  - {name: APP-7, distro: Ubuntu-22.04, ports: ["3000-3002", {listen: 8080, connect: 80, allow_from: []}]}
'@
    )
    $script:Scripts = foreach ($inventory in $inventories) {
        $dist = New-TestBundle -Inventory $inventory
        Get-ChildItem -LiteralPath $dist -Recurse -Filter '*.ps1' | ForEach-Object { @{ Path = $_.FullName; Name = "$($_.Directory.Name)/$($_.Name)" } }
    }
}

BeforeAll {
    # Syntax that Windows PowerShell 5.1 cannot parse or run.
    function Find-SevenOnlySyntax {
        param([System.Management.Automation.Language.Ast] $Ast)
        $Ast.FindAll({
                param($node)
                $type = $node.GetType().Name
                ($type -in 'TernaryExpressionAst', 'PipelineChainAst') -or
                ($type -eq 'BinaryExpressionAst' -and "$($node.Operator)" -eq 'QuestionQuestion') -or
                ($type -eq 'AssignmentStatementAst' -and "$($node.Operator)" -eq 'QuestionQuestionEquals') -or
                ($node.PSObject.Properties['NullConditional'] -and $node.NullConditional) -or
                ($type -eq 'CommandParameterAst' -and $node.ParameterName -in 'Parallel', 'AsHashtable', 'AdditionalChildPath', 'AsByteStream') -or
                ($type -eq 'StringConstantExpressionAst' -and $node.Value -in 'utf8NoBOM', 'utf8BOM')
            }, $true)
    }
}

Describe 'Generated script <Name>' -ForEach $script:Scripts {
    BeforeAll {
        $tokens = $null
        $errors = $null
        $script:Ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref] $tokens, [ref] $errors)
        $script:ParseErrors = $errors
        $script:Bytes = [System.IO.File]::ReadAllBytes($Path)
    }

    It 'parses without errors' {
        $script:ParseErrors | Should -BeNullOrEmpty
    }

    It 'uses no PowerShell 7-only syntax' {
        @(Find-SevenOnlySyntax -Ast $script:Ast) | ForEach-Object { "$($_.Extent.StartLineNumber): $($_.Extent.Text)" } | Should -BeNullOrEmpty
    }

    It 'is UTF-8 with BOM and CRLF line ends only' {
        $script:Bytes[0..2] | Should -Be @(0xEF, 0xBB, 0xBF)
        $text = [System.Text.Encoding]::UTF8.GetString($script:Bytes)
        ($text -replace "`r`n", '') | Should -Not -Match "[`r`n]"
    }

    It 'starts with comment-based help, CmdletBinding(SupportsShouldProcess), strict mode and Stop' {
        $script:Ast.GetHelpContent().Synopsis | Should -Not -BeNullOrEmpty
        $script:Ast.ParamBlock.Attributes.Extent.Text | Should -Match '^\[CmdletBinding\(SupportsShouldProcess[,)]'
        $script:Ast.Extent.Text | Should -Match "(?m)^Set-StrictMode -Version Latest\r?$"
        $script:Ast.Extent.Text | Should -Match "(?m)^\`$ErrorActionPreference = 'Stop'\r?$"
    }

    It 'calls no aliases' {
        $aliases = @(Get-Alias | ForEach-Object { $_.Name })
        $script:Ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true) |
            ForEach-Object { $_.GetCommandName() } | Where-Object { $_ -and $aliases -contains $_ } | Should -BeNullOrEmpty
    }

    It 'names every function with an approved verb' {
        $verbs = @(Get-Verb | ForEach-Object { $_.Verb })
        $script:Ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $true) |
            Where-Object { $verbs -notcontains $_.Name.Split('-')[0] } | ForEach-Object { $_.Name } | Should -BeNullOrEmpty
    }

    It 'checks $LASTEXITCODE after native calls only through Invoke-NativeCommand' {
        $native = $script:Ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] -and $n.InvocationOperator -eq 'Ampersand' }, $true)
        foreach ($call in $native) {
            $function = $call.Parent
            while ($function -and $function -isnot [System.Management.Automation.Language.FunctionDefinitionAst]) { $function = $function.Parent }
            @('Invoke-NativeCommand', 'Remove-ManagedRule') | Should -Contain $function.Name
            $function.Body.Extent.Text | Should -Match 'LASTEXITCODE'
        }
    }
}

Describe 'The 5.1 syntax gate itself' {
    # Windows PowerShell 5.1 cannot parse these at all, which is the gate there.
    It 'finds ternary, ??, ??=, ?., && and -Parallel' -Skip:($PSVersionTable.PSVersion.Major -lt 7) {
        $source = @'
$a = $b ? 1 : 2
$c = $d ?? 3
$e ??= 4
${f}?.Length
git status && git log
1..2 | ForEach-Object -Parallel { $_ }
'@
        $ast = [System.Management.Automation.Language.Parser]::ParseInput($source, [ref] $null, [ref] $null)
        @(Find-SevenOnlySyntax -Ast $ast) | Should -HaveCount 6
    }
}
