# Unit tests: state.json, the record of what is ours (Private/State.ps1).

BeforeAll {
    . (Join-Path $PSScriptRoot 'Unit.ps1')
}

Describe 'Read-State' {
    It 'Given no file, returns an empty state' {
        InModuleScope WslPortProxy -Parameters @{ Path = (Join-Path $TestDrive 'none.json') } {
            param($Path)
            $log = Open-RunLog -Directory $TestDrive -NoFile
            $state = Read-State -Path $Path -Server 'WEB-01' -Log $log
            $state.PortProxy.Count | Should -Be 0
            $state.Firewall | Should -HaveCount 0
            $state.Text | Should -Be '|||'
        }
    }

    It 'Given a state file, keeps only entries that look like ours' {
        $path = Join-Path $TestDrive 'state.json'
        Set-Content -LiteralPath $path -Value '{"schema":1,"server":"WEB-01","portProxy":{"0.0.0.0/80":"172.28.1.1/80","junk":"x","0.0.0.0/81":"elsewhere"},"takenOver":{"0.0.0.0/80":"10.0.0.5/80","0.0.0.0/99":"10.0.0.5/99","junk":"x"},"firewall":["WslPortProxy-TCP-0.0.0.0-80","RemoteDesktop"]}'
        InModuleScope WslPortProxy -Parameters @{ Path = $path } {
            param($Path)
            $state = Read-State -Path $Path -Server 'WEB-01' -Log (Open-RunLog -Directory $TestDrive -NoFile)
            @($state.PortProxy.Keys) | Should -Be @('0.0.0.0/80')
            $state.Firewall | Should -Be @('WslPortProxy-TCP-0.0.0.0-80')
            $state.Text | Should -Be '0.0.0.0/80=172.28.1.1/80|0.0.0.0/80=10.0.0.5/80|WslPortProxy-TCP-0.0.0.0-80|'   # taken over only what is ours
        }
    }

    It 'Given <Case>, ignores the file with a warning' -ForEach @(
        @{ Case = "another server's state"; Text = '{"schema":1,"server":"DB-02","portProxy":{},"firewall":[]}'; Why = "it belongs to server 'DB-02', not WEB-01" }
        @{ Case = 'an unreadable file'; Text = '{not json'; Why = '*' }
    ) {
        $path = Join-Path $TestDrive 'state.json'
        Set-Content -LiteralPath $path -Value $Text
        InModuleScope WslPortProxy -Parameters @{ Path = $path; Why = $Why } {
            param($Path, $Why)
            $state = Read-State -Path $Path -Server 'WEB-01' -Log (Open-RunLog -Directory $TestDrive -NoFile) -WarningVariable warnings -WarningAction SilentlyContinue
            $state.Text | Should -Be '|||'
            "$($warnings[0])" | Should -BeLike "Ignoring the state file ${Path}: $Why"
        }
    }
}

Describe 'Merge-StateChange' {
    It 'records added, rewritten, kept, taken-over and adopted rules, and forgets deleted, restored and released ones' {
        InModuleScope WslPortProxy {
            $state = New-State -PortProxy @{ '0.0.0.0/1' = 'a/1'; '0.0.0.0/2' = 'a/2'; '0.0.0.0/3' = 'a/3'; '0.0.0.0/8' = 'a/8' } -TakenOver @{ '0.0.0.0/3' = 'x/3'; '0.0.0.0/8' = 'x/8' } -Firewall @('F1', 'F2')
            $changes = @(
                New-ChangeRecord -Kind PortProxy -Action Rewrote -Name '0.0.0.0/1' -Target 'b/1' -Previous 'a/1'
                New-ChangeRecord -Kind PortProxy -Action Deleted -Name '0.0.0.0/2' -Target $null -Previous 'a/2'
                New-ChangeRecord -Kind PortProxy -Action Released -Name '0.0.0.0/3' -Target $null -Previous $null
                New-ChangeRecord -Kind PortProxy -Action Added -Name '0.0.0.0/4' -Target 'b/4' -Previous $null
                New-ChangeRecord -Kind PortProxy -Action Kept -Name '0.0.0.0/5' -Target 'b/5' -Previous 'b/5'
                New-ChangeRecord -Kind PortProxy -Action TookOver -Name '0.0.0.0/6' -Target 'b/6' -Previous 'h/6'
                New-ChangeRecord -Kind PortProxy -Action Adopted -Name '0.0.0.0/7' -Target 'b/7' -Previous 'b/7'
                New-ChangeRecord -Kind PortProxy -Action Restored -Name '0.0.0.0/8' -Target 'x/8' -Previous 'a/8'
                New-ChangeRecord -Kind Firewall -Action Removed -Name 'F1'
                New-ChangeRecord -Kind Firewall -Action Created -Name 'F3'
            )
            $next = Merge-StateChange -State $state -Change $changes
            $next.Text | Should -Be '0.0.0.0/1=b/1,0.0.0.0/4=b/4,0.0.0.0/5=b/5,0.0.0.0/6=b/6,0.0.0.0/7=b/7|0.0.0.0/6=h/6,0.0.0.0/7=b/7|F2,F3|'
            $state.Text | Should -Be '0.0.0.0/1=a/1,0.0.0.0/2=a/2,0.0.0.0/3=a/3,0.0.0.0/8=a/8|0.0.0.0/3=x/3,0.0.0.0/8=x/8|F1,F2|'   # the input is not changed
            @($changes | Where-Object { $_.Written } | ForEach-Object { $_.Action }) | Should -Be @('Rewrote', 'Deleted', 'Added', 'TookOver', 'Restored', 'Removed', 'Created')
        }
    }
}

Describe 'Save-State' {
    It 'writes only when the managed rules changed, as the schema-1 document' {
        $path = Join-Path $TestDrive 'sub/state.json'
        InModuleScope WslPortProxy -Parameters @{ Path = $path } {
            param($Path)
            $empty = New-State
            $state = New-State -PortProxy @{ '0.0.0.0/80' = '172.28.1.1/80' } -Firewall @('WslPortProxy-TCP-0.0.0.0-80')
            Save-State -Path $Path -Server 'WEB-01' -State $state -Previous $empty
            $saved = Get-Content -Raw -LiteralPath $Path | ConvertFrom-Json
            $saved.schema | Should -Be 1
            $saved.server | Should -Be 'WEB-01'
            $saved.portProxy.'0.0.0.0/80' | Should -Be '172.28.1.1/80'
            @($saved.firewall) | Should -Be @('WslPortProxy-TCP-0.0.0.0-80')
            Set-Content -LiteralPath $Path -Value 'untouched'
            Save-State -Path $Path -Server 'WEB-01' -State $state -Previous $state
            Get-Content -LiteralPath $Path | Should -Be 'untouched'
            Save-State -Path $Path -Server 'WEB-01' -State $empty -Previous $state -WhatIf
            Get-Content -LiteralPath $Path | Should -Be 'untouched'
        }
    }
}

Describe 'The automatic rules in state.json' {
    It 'records as automatic only the wanted rules that are ours after the run, and reads them back' {
        InModuleScope WslPortProxy {
            $log = Open-RunLog -Directory $TestDrive -NoFile
            $state = New-State -PortProxy @{ '0.0.0.0/80' = '172.28.1.1/80' }
            $added = New-ChangeRecord -Kind PortProxy -Action Added -Name '0.0.0.0/8080' -Target '172.28.1.1/8080' -Previous $null
            $next = Merge-StateChange -State $state -Change @($added) -Automatic @('0.0.0.0/8080', '0.0.0.0/8081')
            $next.Automatic | Should -Be @('0.0.0.0/8080')
            $path = Join-Path $TestDrive 'state.json'
            Save-State -Path $path -Server 'WEB-01' -State $next -Previous $state
            (Get-Content -LiteralPath $path -Raw | ConvertFrom-Json).automatic | Should -Be @('0.0.0.0/8080')
            (Read-State -Path $path -Server 'WEB-01' -Log $log).Automatic | Should -Be @('0.0.0.0/8080')
        }
    }
}
